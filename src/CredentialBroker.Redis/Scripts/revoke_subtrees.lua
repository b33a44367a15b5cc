-- Revokes many subtrees, of tasks that share an audit chain (so a slot), in one atomic step: each as revoke_subtree.lua
-- does (subtree.lua), each root with its own revocation.recorded event, all under one work entry (whose marker each task's
-- pending set gets).
-- KEYS[1..2] the chain's head and list; then per subtree i: its task's credentials hash, pending set and event index
--   (KEYS[3i], KEYS[3i+1], KEYS[3i+2])
-- ARGV[1..3]: chain, work entry id, the prefix of the chain's status list keys; then per subtree i, from a = 3 + 7(i-1):
--   root jti, at (unix ms), reason, event, event digest, event index keep-until (unix ms), indexed (ARGV[a+1..a+7])
-- Returns how many credentials were revoked in all.
local revoked = 0
for i = 1, (#KEYS - 2) / 3 do
  local a = 3 + 7 * (i - 1)
  revoked = revoked + revoke_subtree(KEYS[3 * i], KEYS[3 * i + 1], KEYS[1], KEYS[2], KEYS[3 * i + 2],
    ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[2], ARGV[1], ARGV[a + 4], ARGV[a + 5], ARGV[a + 6], ARGV[a + 7], ARGV[3])
end
return revoked
