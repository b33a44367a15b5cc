-- Reads a credential with its task and its ancestors, in one step: the task hash, then for the credential and each
-- ancestor (walking the parent, the record's second field, up to the task token) its jti, record and marks
-- ('<jti>:r', ':x', ':d', ':l'). Records are CredentialCodec strings: fields separated by \31.
-- KEYS[1] task hash, KEYS[2] credentials hash
-- ARGV: jti, the most hops to walk (a bound against a corrupted chain)
local task = redis.call('HGETALL', KEYS[1])
if #task == 0 then
  return {}
end
local chain = {}
local jti = ARGV[1]
local hops = 0
while jti and hops <= tonumber(ARGV[2]) do
  local values = redis.call('HMGET', KEYS[2], jti, jti .. ':r', jti .. ':x', jti .. ':d', jti .. ':l')
  if not values[1] then
    break
  end
  table.insert(chain, {jti, values[1], values[2], values[3], values[4], values[5]})
  local parent = string.match(values[1], '^[^\31]*\31([^\31]*)')
  if parent and parent ~= '' then jti = parent else jti = nil end
  hops = hops + 1
end
return {task, chain}
