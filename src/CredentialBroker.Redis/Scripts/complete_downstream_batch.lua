-- Records the downstream outcomes of many credentials in one step, each as complete_downstream.lua does: the outcome, for
-- an expiry when it was processed (first time wins), and the credential off its task's pending set. The tasks share a
-- slot (their audit chain's), so one call serves a whole batch on a cluster too. A settled outcome (revoked downstream, or
-- resolved by the SOC) is replaced only by a caller that read it (a secret revoked once more because it was created after
-- its first revocation): a replica that lost its lease in a partition and writes its failed attempts after the network
-- heals, having read the credential pending, must not undo the revocation another replica recorded meanwhile.
-- KEYS: per credential i, its task's credentials hash (KEYS[2i-1]) and pending set (KEYS[2i])
-- ARGV: per credential i, jti (ARGV[4i-3]), outcome JSON (ARGV[4i-2]), expiry processed at (ARGV[4i-1]; unix ms, or ''),
--       whether the caller read a settled outcome (ARGV[4i]; '1' or '0')
-- Returns the positions i whose outcome was not recorded because a settled one stood (their retry, if any, is dropped).
local function settled(outcome)
  local d = cjson.decode(outcome)
  return d.at ~= nil or d.resolvedBy ~= nil
end

local kept = {}
for i = 1, #KEYS / 2 do
  local credentials, pending, jti = KEYS[2 * i - 1], KEYS[2 * i], ARGV[4 * i - 3]
  if redis.call('HEXISTS', credentials, jti) == 1 then
    local current = redis.call('HGET', credentials, jti .. ':d')
    if not current or ARGV[4 * i] == '1' or not settled(current) then
      redis.call('HSET', credentials, jti .. ':d', ARGV[4 * i - 2])
    else
      kept[#kept + 1] = i
    end
    if ARGV[4 * i - 1] ~= '' then
      redis.call('HSETNX', credentials, jti .. ':x', ARGV[4 * i - 1])
    end
  end
  redis.call('SREM', pending, jti)
end
return kept
