-- Enters a task in the SOC indexes (all in the {idx} slot): sorted sets of task ids scored by expiry, kept until
-- the records they point to are gone, and trimmed of entries older than that as they are written.
-- KEYS[1] holders (lexicographic set of every holder, for prefix selectors), KEYS[2] the credential's jti -> task
-- key, KEYS[3..] the sorted sets to enter the task in.
-- ARGV: task id, score (expiry, unix ms), keep until (unix ms), holder, drop scores below (unix ms)
redis.call('ZADD', KEYS[1], 0, ARGV[4])
redis.call('SET', KEYS[2], ARGV[1], 'PXAT', ARGV[3])
local keep = tonumber(ARGV[3])
for i = 3, #KEYS do
  redis.call('ZADD', KEYS[i], 'GT', ARGV[2], ARGV[1])
  if redis.call('PEXPIRETIME', KEYS[i]) < keep then
    redis.call('PEXPIREAT', KEYS[i], keep)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. ARGV[5])
end
return 1
