-- Records the downstream outcomes of many credentials in one step, each as complete_downstream.lua does: the outcome, for
-- an expiry when it was processed (first time wins), and the credential off its task's pending set. The tasks share a
-- slot (their audit chain's), so one call serves a whole batch on a cluster too. A settled outcome (revoked downstream, or
-- resolved by the SOC) is never replaced by an unsettled one: a replica that lost its lease in a partition and writes
-- its failed attempts after the network heals must not undo the revocation another replica recorded meanwhile.
-- KEYS: per credential i, its task's credentials hash (KEYS[2i-1]) and pending set (KEYS[2i])
-- ARGV: per credential i, jti (ARGV[3i-2]), outcome JSON (ARGV[3i-1]), expiry processed at (ARGV[3i]; unix ms, or '')
-- Returns the positions i whose outcome was not recorded because a settled one stood (their retry, if any, is dropped).
local function settled(outcome)
  local d = cjson.decode(outcome)
  return d.at ~= nil or d.resolvedBy ~= nil
end

local kept = {}
for i = 1, #KEYS / 2 do
  local credentials, pending, jti = KEYS[2 * i - 1], KEYS[2 * i], ARGV[3 * i - 2]
  if redis.call('HEXISTS', credentials, jti) == 1 then
    local current = redis.call('HGET', credentials, jti .. ':d')
    if not current or settled(ARGV[3 * i - 1]) or not settled(current) then
      redis.call('HSET', credentials, jti .. ':d', ARGV[3 * i - 1])
    else
      kept[#kept + 1] = i
    end
    if ARGV[3 * i] ~= '' then
      redis.call('HSETNX', credentials, jti .. ':x', ARGV[3 * i])
    end
  end
  redis.call('SREM', pending, jti)
end
return kept
