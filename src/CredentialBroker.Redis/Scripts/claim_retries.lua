-- Claims members due for another attempt (irrevocable credentials; downstream secrets whose issue was never
-- confirmed), pushing each one lease further so a claimer that dies does not lose it.
-- KEYS[1] sorted set (score: due, unix ms)
-- ARGV: now (unix ms), lease (ms), limit
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), member)
end
return due
