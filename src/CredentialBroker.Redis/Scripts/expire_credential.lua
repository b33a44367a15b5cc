-- Marks a due credential's expiry as processed and makes it pending, unless it is revoked, already
-- processed, unknown or not yet due. Idempotent. '@<work entry id>' in the pending set tells the revoker this
-- script has run (see change_state.lua).
-- KEYS[1] credentials hash, KEYS[2] pending set
-- ARGV: jti, now (unix ms), work entry id
local function recorded()
  redis.call('SADD', KEYS[2], '@' .. ARGV[3])
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
end
local values = redis.call('HMGET', KEYS[1], ARGV[1], ARGV[1] .. ':r', ARGV[1] .. ':x')
if not values[1] or values[2] or values[3] then
  recorded()
  return 0
end
if cjson.decode(values[1]).exp * 1000 > tonumber(ARGV[2]) then
  recorded()
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1] .. ':x', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
recorded()
return 1
