-- Records a credential derived from a parent, if the task is open, holds fewer credentials than its cap, and the
-- parent is neither revoked nor expired. Atomic with revoke_subtree.lua (same slot), so a child can never slip past a
-- cascade. The task hash counts its credentials in 'n'.
-- A recorded credential's credential.issued event is appended in the same step (audit.lua).
-- KEYS[1] task hash, KEYS[2] credentials hash, KEYS[3..5] the chain's head and list and the task's event index
-- ARGV: parent jti, jti, credential record (CredentialCodec), now (unix ms), open states (comma separated), most credentials per task,
--       chain, event, event digest, event index keep-until (unix ms), indexed
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  return 'task_not_found'
end
local open = false
for candidate in string.gmatch(ARGV[5], '[^,]+') do
  if candidate == state then open = true end
end
if not open then
  return 'task_closed'
end
local parent = redis.call('HMGET', KEYS[2], ARGV[1], ARGV[1] .. ':r')
if not parent[1] or parent[2] then
  return 'parent_inactive'
end
-- The parent's exp is the fifth field of its record (CredentialCodec: kind, parent, holder, iat, exp, ...).
local exp = string.match(parent[1], '^[^\31]*\31[^\31]*\31[^\31]*\31[^\31]*\31([^\31]*)')
if not exp or tonumber(exp) * 1000 <= tonumber(ARGV[4]) then
  return 'parent_inactive'
end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then
  return 'added'
end
if tonumber(redis.call('HGET', KEYS[1], 'n') or '1') >= tonumber(ARGV[6]) then
  return 'task_full'
end
audit(KEYS[3], KEYS[4], KEYS[5], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('HINCRBY', KEYS[1], 'n', 1)
return 'added'
