-- Revokes a credential and every credential derived from it, atomically. The root gets the given reason,
-- descendants 'cascade'; credentials revoked earlier keep their first revocation. Newly revoked credentials
-- join the pending set.
-- '@<work entry id>' in the pending set tells the revoker this script has run (see change_state.lua).
-- A found credential's revocation.recorded event is appended in the same step (audit.lua).
-- Each newly revoked token's status list bit is set in the same step (status.lua).
-- KEYS[1] credentials hash, KEYS[2] pending set, KEYS[3..5] the chain's head and list and the task's event index
-- ARGV: root jti, at (unix ms), reason, work entry id, chain, event, event digest, event index keep-until (unix ms), indexed,
--       the prefix of the chain's status list keys
local function recorded()
  redis.call('SADD', KEYS[2], '@' .. ARGV[4])
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
end
local fields = redis.call('HGETALL', KEYS[1])
local marked = {}
local children = {}
local records = {}
local found = false
for i = 1, #fields, 2 do
  local jti = fields[i]
  if string.sub(jti, -2) == ':r' then
    marked[string.sub(jti, 1, -3)] = true
  elseif not string.find(jti, ':', 1, true) then
    if jti == ARGV[1] then found = true end
    records[jti] = fields[i + 1]
    local parent = string.match(fields[i + 1], '^[^\31]*\31([^\31]*)')
    if parent and parent ~= '' then
      children[parent] = children[parent] or {}
      table.insert(children[parent], jti)
    end
  end
end
if not found then
  recorded()
  return 0
end
audit(KEYS[3], KEYS[4], KEYS[5], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9])
local revoked = 0
local queue = {ARGV[1]}
local head = 1
while head <= #queue do
  local jti = queue[head]
  head = head + 1
  if not marked[jti] then
    local reason = 'cascade'
    if jti == ARGV[1] then reason = ARGV[3] end
    redis.call('HSET', KEYS[1], jti .. ':r', ARGV[2] .. '|' .. reason)
    redis.call('SADD', KEYS[2], jti)
    if records[jti] then status_revoke(ARGV[10], records[jti]) end
    revoked = revoked + 1
  end
  for _, child in ipairs(children[jti] or {}) do
    table.insert(queue, child)
  end
end
recorded()
return revoked
