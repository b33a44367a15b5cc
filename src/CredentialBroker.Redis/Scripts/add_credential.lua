-- Records a credential derived from a parent, if the task is open, holds fewer credentials than its cap, and the
-- parent is neither revoked nor expired. Atomic with revoke_subtree.lua (same slot), so a child can never slip past a
-- cascade. The task hash counts its credentials in 'n'.
-- A recorded credential's credential.issued event is appended in the same step (audit.lua).
-- A token (any kind but a downstream secret) gets its status list entry (status.lua), appended to its record.
-- Returns {outcome, entry} ('' when the credential has none).
-- KEYS[1] task hash, KEYS[2] credentials hash, KEYS[3..5] the chain's head and list and the task's event index,
-- KEYS[6] the chain's status list counter
-- ARGV: parent jti, jti, credential record (CredentialCodec), now (unix ms), open states (comma separated), most credentials per task,
--       chain, event, event digest, event index keep-until (unix ms), indexed, status list size
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  return {'task_not_found', ''}
end
local open = false
for candidate in string.gmatch(ARGV[5], '[^,]+') do
  if candidate == state then open = true end
end
if not open then
  return {'task_closed', ''}
end
local parent = redis.call('HMGET', KEYS[2], ARGV[1], ARGV[1] .. ':r')
if not parent[1] or parent[2] then
  return {'parent_inactive', ''}
end
-- The parent's exp is the fifth field of its record (CredentialCodec: kind, parent, holder, iat, exp, ...).
local exp = string.match(parent[1], '^[^\31]*\31[^\31]*\31[^\31]*\31[^\31]*\31([^\31]*)')
if not exp or tonumber(exp) * 1000 <= tonumber(ARGV[4]) then
  return {'parent_inactive', ''}
end
local existing = redis.call('HGET', KEYS[2], ARGV[2])
if existing then
  return {'added', string.match(existing, '\31(%d+%-%d+:%d+)$') or ''}
end
if tonumber(redis.call('HGET', KEYS[1], 'n') or '1') >= tonumber(ARGV[6]) then
  return {'task_full', ''}
end
audit(KEYS[3], KEYS[4], KEYS[5], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11])
local status = ''
if string.sub(ARGV[3], 1, 1) ~= 's' then
  status = status_allocate(KEYS[6], ARGV[7], tonumber(ARGV[12]))
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3] .. '\31' .. status)
else
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
end
redis.call('HINCRBY', KEYS[1], 'n', 1)
return {'added', status}
