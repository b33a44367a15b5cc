-- Token Status Lists (draft-ietf-oauth-status-list), prepended to the scripts that record or revoke tokens. Each audit
-- chain is a shard: one allocation counter and, per generation of StatusLists.Size entries, one bitmap (1 = revoked) in the
-- chain's slot. A token's record ends with its entry, '<chain>-<generation>:<index>' (CredentialCodec).
-- Allocates the next entry of a chain: the counter only grows, so no entry is ever given out twice.
local function status_allocate(counter, chain, size)
  local n = redis.call('INCR', counter) - 1
  return chain .. '-' .. math.floor(n / size) .. ':' .. (n % size)
end
-- Sets a revoked token's bit. Only revoked bits are stored: the bitmap lives as long as its latest revoked token (plus a
-- margin for clock skew), and a missing bitmap reads as all valid, which every token of it by then is not (it has expired).
local function status_revoke(base, record)
  local list, idx = string.match(record, '\31(%d+%-%d+):(%d+)$')
  if not list then return end
  local exp = string.match(record, '^[^\31]*\31[^\31]*\31[^\31]*\31[^\31]*\31([^\31]*)')
  local key = base .. list
  idx = tonumber(idx)
  -- Redis numbers a byte's bits from the most significant, the draft from the least: mirrored, GET returns the draft's bytes.
  redis.call('SETBIT', key, idx - idx % 8 + 7 - idx % 8, 1)
  local keep = tonumber(exp) * 1000 + 300000
  if redis.call('PEXPIRETIME', key) < keep then
    redis.call('PEXPIREAT', key, keep)
  end
end
