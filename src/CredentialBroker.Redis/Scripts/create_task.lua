-- Records a new task and its task token unless the task exists, and appends its task.created event (audit.lua).
-- Atomic; one hash slot. The event goes first: a script that fails midway keeps what it wrote, so no record may be
-- written ahead of its event (every script that records an action follows this order).
-- The task token gets its status list entry (status.lua), appended to its record; returns the entry, or 0 when the task exists.
-- KEYS[1] task hash, KEYS[2] credentials hash, KEYS[3..5] the chain's head and list and the task's event index,
-- KEYS[6] the chain's status list counter
-- ARGV: spec, state, stateAt, createdBy, createdAt, expiresAt, jti, credential record (CredentialCodec), retain-until (unix ms),
--       chain, event, event digest, event index keep-until (unix ms), indexed, status list size
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
audit(KEYS[3], KEYS[4], KEYS[5], ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14])
redis.call('HSET', KEYS[1], 'spec', ARGV[1], 'state', ARGV[2], 'stateAt', ARGV[3], 'stateReason', '',
  'createdBy', ARGV[4], 'createdAt', ARGV[5], 'expiresAt', ARGV[6], 'n', 1)
local status = status_allocate(KEYS[6], ARGV[10], tonumber(ARGV[15]))
redis.call('HSET', KEYS[2], ARGV[7], ARGV[8] .. '\31' .. status)
redis.call('PEXPIREAT', KEYS[1], ARGV[9])
redis.call('PEXPIREAT', KEYS[2], ARGV[9])
return status
