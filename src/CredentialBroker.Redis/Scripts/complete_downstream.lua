-- Records the downstream outcome of a credential and takes it off the pending set; for an expiry, also records
-- when the expiry was processed (first time wins).
-- KEYS[1] credentials hash, KEYS[2] pending set
-- ARGV: jti, outcome JSON, expiry processed at (unix ms, or '' when this is not an expiry)
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], ARGV[1] .. ':d', ARGV[2])
  if ARGV[3] ~= '' then
    redis.call('HSETNX', KEYS[1], ARGV[1] .. ':x', ARGV[3])
  end
end
redis.call('SREM', KEYS[2], ARGV[1])
return 1
