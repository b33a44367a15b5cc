-- Claims due entries of one expiry-index shard for a lease: first entries whose earlier lease ran out (their
-- sweeper died), then new due entries. A claimed entry moves to the shard's claimed set as '<member>|<exp>',
-- scored by its lease deadline, until it is released.
-- KEYS[1] due sorted set (score: exp, unix s), KEYS[2] claimed sorted set (score: lease deadline, unix ms)
-- ARGV: now (unix s), now (unix ms), lease (ms), limit
local limit = tonumber(ARGV[4])
local deadline = tonumber(ARGV[2]) + tonumber(ARGV[3])
local claimed = {}
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'LIMIT', 0, limit)
for _, entry in ipairs(stale) do
  redis.call('ZADD', KEYS[2], deadline, entry)
  table.insert(claimed, entry)
end
if #claimed < limit then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, limit - #claimed)
  for i = 1, #due, 2 do
    local entry = due[i] .. '|' .. due[i + 1]
    redis.call('ZREM', KEYS[1], due[i])
    redis.call('ZADD', KEYS[2], deadline, entry)
    table.insert(claimed, entry)
  end
end
return claimed
