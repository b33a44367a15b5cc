-- Records a credential derived from a parent, if the task is open and the parent is neither revoked nor
-- expired. Atomic with revoke_subtree.lua (same slot), so a child can never slip past a cascade.
-- KEYS[1] task hash, KEYS[2] credentials hash
-- ARGV: parent jti, jti, credential JSON, now (unix ms), open states (comma separated)
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
if cjson.decode(parent[1]).exp * 1000 <= tonumber(ARGV[4]) then
  return 'parent_inactive'
end
redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3])
return 'added'
