-- Prepended to every script that records an action, so the action's boundary-log event is appended in the same atomic
-- step. The chain's head holds '<seq> <hash>' of its last event; an event's hash is
-- SHA-1(chain \n seq \n prev \n SHA-256(body)) (AuditHash.Link), the SHA-256 computed by the broker.
-- head, log, index: the chain's head and list and the task's event index; chain: its number; body: the event JSON;
-- digest: SHA-256(body), hex; keep: the index's expiry (unix ms); indexed: '1' when the event concerns a task ('0': index unused).
local function audit(head, log, index, chain, body, digest, keep, indexed)
  local last = redis.call('GET', head)
  local seq, prev = 0, '0000000000000000000000000000000000000000'
  if last then
    local s, h = string.match(last, '^(%d+) (%x+)$')
    seq, prev = tonumber(s), h
  end
  seq = seq + 1
  local hash = redis.sha1hex(chain .. '\n' .. seq .. '\n' .. prev .. '\n' .. digest)
  redis.call('RPUSH', log, '{"chain":' .. chain .. ',"seq":' .. seq .. ',"prev":"' .. prev .. '","hash":"' .. hash .. '","event":' .. body .. '}')
  redis.call('SET', head, seq .. ' ' .. hash)
  if indexed == '1' then
    redis.call('RPUSH', index, seq)
    redis.call('PEXPIREAT', index, keep)
  end
  return seq
end
