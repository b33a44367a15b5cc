-- Forgets a chain's events up to and including a position (behind a checkpoint): LPOPs while the first entry's seq is
-- at most ARGV[1], at most ARGV[2] of them.
-- KEYS[1] the chain's list. Returns how many went.
local removed = 0
while removed < tonumber(ARGV[2]) do
  local first = redis.call('LINDEX', KEYS[1], 0)
  if not first then break end
  local seq = tonumber(string.match(first, '"seq":(%d+)'))
  if not seq or seq > tonumber(ARGV[1]) then break end
  redis.call('LPOP', KEYS[1])
  removed = removed + 1
end
return removed
