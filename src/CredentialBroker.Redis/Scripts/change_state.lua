-- Moves a task to a new state if its current state allows it, and revokes credentials of the given kinds
-- in the same atomic step. Credentials are fields named by jti; marks are '<jti>:r' (revoked: '<unix ms>|<reason>'),
-- '<jti>:x' (expiry processed) and '<jti>:d' (downstream outcome). Revoked credentials join the pending set.
-- The work entry announcing the revocation is written before this script runs; '@<entry id>' in the pending set
-- tells the revoker this script has run, so the entry may be acknowledged.
-- A change that happens appends its event (audit.lua) in the same step.
-- KEYS[1] task hash, KEYS[2] credentials hash, KEYS[3] pending set, KEYS[4..6] the chain's head and list and the task's event index
-- ARGV: target, allowed sources (comma separated), at (unix ms), reason, kind codes to revoke (comma separated; a record's
--       first character, see CredentialCodec), revocation reason,
--       work entry id ('' when nothing is to be revoked), chain, event, event digest, event index keep-until (unix ms), indexed,
--       the prefix of the chain's status list keys
-- Each revoked token's status list bit is set in the same step (status.lua).
local function recorded()
  if ARGV[7] ~= '' then
    redis.call('SADD', KEYS[3], '@' .. ARGV[7])
    local ttl = redis.call('PTTL', KEYS[2])
    if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
  end
end
local current = redis.call('HGET', KEYS[1], 'state')
if not current then
  return {'missing', '', 0}
end
if current == ARGV[1] then
  recorded()
  return {'same', current, 0}
end
local allowed = false
for source in string.gmatch(ARGV[2], '[^,]+') do
  if source == current then allowed = true end
end
if not allowed then
  recorded()
  return {'illegal', current, 0}
end
audit(KEYS[4], KEYS[5], KEYS[6], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12])
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'stateAt', ARGV[3], 'stateReason', ARGV[4])
local revoked = 0
if ARGV[5] ~= '' then
  local kinds = {}
  for kind in string.gmatch(ARGV[5], '[^,]+') do kinds[kind] = true end
  local fields = redis.call('HGETALL', KEYS[2])
  local marked = {}
  for i = 1, #fields, 2 do
    if string.sub(fields[i], -2) == ':r' then marked[string.sub(fields[i], 1, -3)] = true end
  end
  local mark = ARGV[3] .. '|' .. ARGV[6]
  for i = 1, #fields, 2 do
    local jti = fields[i]
    if not string.find(jti, ':', 1, true) and not marked[jti] and kinds[string.sub(fields[i + 1], 1, 1)] then
      redis.call('HSET', KEYS[2], jti .. ':r', mark)
      redis.call('SADD', KEYS[3], jti)
      status_revoke(ARGV[13], fields[i + 1])
      revoked = revoked + 1
    end
  end
  if revoked > 0 then
    local ttl = redis.call('PTTL', KEYS[2])
    if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
  end
end
recorded()
return {'ok', current, revoked}
