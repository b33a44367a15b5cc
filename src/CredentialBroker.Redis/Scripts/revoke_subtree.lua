-- Revokes a credential and every credential derived from it, atomically (subtree.lua).
-- KEYS[1] credentials hash, KEYS[2] pending set, KEYS[3..5] the chain's head and list and the task's event index
-- ARGV: root jti, at (unix ms), reason, work entry id, chain, event, event digest, event index keep-until (unix ms), indexed,
--       the prefix of the chain's status list keys
return revoke_subtree(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10])
