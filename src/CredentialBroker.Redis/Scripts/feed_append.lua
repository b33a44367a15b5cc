-- Appends revocation events to the feed in their order, in one step; returns their ids (the feed's event ids).
-- KEYS[1] the feed stream
-- ARGV: per event, jti, task, exp (unix s), reason, at (unix ms)
local ids = {}
for i = 1, #ARGV, 5 do
  ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 'jti', ARGV[i], 'task', ARGV[i + 1], 'exp', ARGV[i + 2], 'reason', ARGV[i + 3], 'at', ARGV[i + 4])
end
return ids
