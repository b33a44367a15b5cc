-- An operator's continuation: moves a task's deadline, records its fresh task token and, for a task awaiting approval,
-- resumes it (running), with the continuation's event (audit.lua), all in one step. The old task token is revoked
-- afterwards by revoke_subtree.lua.
-- The fresh token gets its status list entry (status.lua), appended to its record; returns {outcome, state, entry}.
-- KEYS[1] task hash, KEYS[2] credentials hash, KEYS[3..5] the chain's head and list and the task's event index,
-- KEYS[6] the chain's status list counter
-- ARGV: states a continuation is allowed from (comma separated), new deadline (unix ms), at (unix ms), jti, credential
--       record (CredentialCodec), retain-until (unix ms), chain, event, event digest, event index keep-until (unix ms), indexed,
--       status list size, the count of continuations the caller read (the task hash's 'continuations', absent = 0): if another
--       continuation came meanwhile, nothing changes ('moved'), even if it set the deadline the caller read
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  return {'missing', '', ''}
end
local open = false
for candidate in string.gmatch(ARGV[1], '[^,]+') do
  if candidate == state then open = true end
end
if not open then
  return {'illegal', state, ''}
end
local existing = redis.call('HGET', KEYS[2], ARGV[4])
if existing then
  -- The same continuation again (a retry after a reply was lost): it ran; the same answer, nothing done twice.
  return {'ok', state, string.match(existing, '\31(%d+%-%d+:%d+)$') or ''}
end
if tonumber(redis.call('HGET', KEYS[1], 'continuations') or '0') ~= tonumber(ARGV[13]) then
  return {'moved', state, ''}
end
audit(KEYS[3], KEYS[4], KEYS[5], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11])
redis.call('HSET', KEYS[1], 'expiresAt', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'continuations', 1)
if state == 'awaiting_approval' then
  redis.call('HSET', KEYS[1], 'state', 'running', 'stateAt', ARGV[3], 'stateReason', 'continuation approved')
end
local status = status_allocate(KEYS[6], ARGV[7], tonumber(ARGV[12]))
redis.call('HSET', KEYS[2], ARGV[4], ARGV[5] .. '\31' .. status)
redis.call('HINCRBY', KEYS[1], 'n', 1)
if redis.call('PEXPIRETIME', KEYS[1]) < tonumber(ARGV[6]) then
  redis.call('PEXPIREAT', KEYS[1], ARGV[6])
  redis.call('PEXPIREAT', KEYS[2], ARGV[6])
end
return {'ok', state, status}
