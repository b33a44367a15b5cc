-- Records the downstream outcome of a pending credential and takes it off the pending set.
-- KEYS[1] credentials hash, KEYS[2] pending set
-- ARGV: jti, outcome JSON
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], ARGV[1] .. ':d', ARGV[2])
end
redis.call('SREM', KEYS[2], ARGV[1])
return 1
