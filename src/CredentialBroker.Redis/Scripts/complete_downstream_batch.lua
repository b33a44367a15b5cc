-- Records the downstream outcomes of many credentials in one step, each as complete_downstream.lua does: the outcome, for
-- an expiry when it was processed (first time wins), and the credential off its task's pending set. The tasks share a
-- slot (their audit chain's), so one call serves a whole batch on a cluster too.
-- KEYS: per credential i, its task's credentials hash (KEYS[2i-1]) and pending set (KEYS[2i])
-- ARGV: per credential i, jti (ARGV[3i-2]), outcome JSON (ARGV[3i-1]), expiry processed at (ARGV[3i]; unix ms, or '')
for i = 1, #KEYS / 2 do
  local credentials, pending, jti = KEYS[2 * i - 1], KEYS[2 * i], ARGV[3 * i - 2]
  if redis.call('HEXISTS', credentials, jti) == 1 then
    redis.call('HSET', credentials, jti .. ':d', ARGV[3 * i - 1])
    if ARGV[3 * i] ~= '' then
      redis.call('HSETNX', credentials, jti .. ':x', ARGV[3 * i])
    end
  end
  redis.call('SREM', pending, jti)
end
return #KEYS / 2
