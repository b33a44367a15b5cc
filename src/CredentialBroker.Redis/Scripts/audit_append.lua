-- Appends one event that accompanies no record (a refusal, an incident, a downstream outcome) to its chain.
-- KEYS[1] the chain's head, KEYS[2] its list, KEYS[3] the task's event index (the head again for no task)
-- ARGV: chain, body, digest, keep (unix ms), indexed ('1' or '0')
return audit(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
