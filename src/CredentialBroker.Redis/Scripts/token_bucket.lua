-- One token bucket shared by every replica. KEYS[1]: the bucket (hash: t = tokens, ts = last refill, unix ms).
-- ARGV: capacity, tokens per replenishment period, period (ms), permits asked, most permits to hand out (>= asked),
--       permits returned: what the caller took earlier and did not spend (its batch lapsed), put back first.
-- Time is Redis's own clock (TIME), so replicas whose clocks disagree still share one bucket.
-- Returns {1, 0, n} when the permits asked are granted, n (up to the most) taken from the bucket; {0, ms until they could be, 0}
-- otherwise.
local capacity = tonumber(ARGV[1])
local per_period = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local asked = tonumber(ARGV[4])
local most = tonumber(ARGV[5])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(bucket[1]) or capacity
local since = tonumber(bucket[2]) or now
local periods = math.floor(math.max(0, now - since) / period)
tokens = math.min(capacity, tokens + periods * per_period + tonumber(ARGV[6]))
since = since + periods * period
if tokens == capacity then
  since = now
end
local granted = 0
local wait = 0
local taken = 0
if tokens >= asked then
  taken = math.max(asked, math.min(most, tokens))
  tokens = tokens - taken
  granted = 1
else
  wait = math.ceil((asked - tokens) / per_period) * period - (now - since)
end
redis.call('HSET', KEYS[1], 't', tokens, 'ts', since)
-- A bucket left alone refills completely within this time, and then it is the same as no bucket at all.
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / per_period) * period + period)
return {granted, wait, taken}
