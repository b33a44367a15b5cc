-- Enters a task in the SOC indexes of its shard (all in that shard's {idx:N} slot): sorted sets of task ids scored by expiry, kept until
-- the records they point to are gone, and trimmed of entries older than that as they are written. The holders set
-- (lexicographic, for prefix selectors) is pruned with them: each holder's keep-until is tracked beside it, and a
-- bounded number of holders whose records are all gone leave both sets on every call to the shard.
-- KEYS[1] holders (lexicographic set of every holder), KEYS[2] holders' keep-until (score: unix ms), KEYS[3] the
-- credential's jti -> task key, KEYS[4..] the sorted sets to enter the task in.
-- ARGV: task id, score (expiry, unix ms), keep until (unix ms), holder, drop scores below (unix ms), now (unix ms)
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[6], 'LIMIT', 0, 64)
if #gone > 0 then
  redis.call('ZREM', KEYS[1], unpack(gone))
  redis.call('ZREM', KEYS[2], unpack(gone))
end
redis.call('ZADD', KEYS[1], 0, ARGV[4])
redis.call('ZADD', KEYS[2], 'GT', ARGV[3], ARGV[4])
redis.call('SET', KEYS[3], ARGV[1], 'PXAT', ARGV[3])
local keep = tonumber(ARGV[3])
for i = 4, #KEYS do
  redis.call('ZADD', KEYS[i], 'GT', ARGV[2], ARGV[1])
  if redis.call('PEXPIRETIME', KEYS[i]) < keep then
    redis.call('PEXPIREAT', KEYS[i], keep)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. ARGV[5])
end
return 1
