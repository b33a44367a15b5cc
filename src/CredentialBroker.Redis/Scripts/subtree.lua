-- Revokes a credential and every credential derived from it, atomically (prepended to revoke_subtree.lua and
-- revoke_subtrees.lua). The root gets the given reason, descendants 'cascade'; credentials revoked earlier keep their first
-- revocation. Newly revoked credentials join the pending set.
-- '@<work entry id>' in the pending set tells the revoker this script has run (see change_state.lua).
-- A found credential's revocation.recorded event is appended in the same step (audit.lua).
-- Each newly revoked token's status list bit is set in the same step (status.lua).
-- credentials, pending: the task's credentials hash and pending set; head, log, index: the chain's head and list and the
-- task's event index; root, at (unix ms), reason, entry: the root jti, the time, the reason, the work entry id; chain, body,
-- digest, keep, indexed: the event (audit.lua); statuses: the prefix of the chain's status list keys. Returns how many
-- credentials it revoked.
local function revoke_subtree(credentials, pending, head, log, index, root, at, reason, entry, chain, body, digest, keep, indexed, statuses)
  local function recorded()
    redis.call('SADD', pending, '@' .. entry)
    local ttl = redis.call('PTTL', credentials)
    if ttl > 0 then redis.call('PEXPIRE', pending, ttl) end
  end
  local fields = redis.call('HGETALL', credentials)
  local marked = {}
  local children = {}
  local records = {}
  local found = false
  for i = 1, #fields, 2 do
    local jti = fields[i]
    if string.sub(jti, -2) == ':r' then
      marked[string.sub(jti, 1, -3)] = true
    elseif not string.find(jti, ':', 1, true) then
      if jti == root then found = true end
      records[jti] = fields[i + 1]
      local parent = string.match(fields[i + 1], '^[^\31]*\31([^\31]*)')
      if parent and parent ~= '' then
        children[parent] = children[parent] or {}
        table.insert(children[parent], jti)
      end
    end
  end
  if not found then
    recorded()
    return 0
  end
  audit(head, log, index, chain, body, digest, keep, indexed)
  local revoked = 0
  local queue = {root}
  local cursor = 1
  while cursor <= #queue do
    local jti = queue[cursor]
    cursor = cursor + 1
    if not marked[jti] then
      local why = 'cascade'
      if jti == root then why = reason end
      redis.call('HSET', credentials, jti .. ':r', at .. '|' .. why)
      redis.call('SADD', pending, jti)
      if records[jti] then status_revoke(statuses, records[jti]) end
      revoked = revoked + 1
    end
    for _, child in ipairs(children[jti] or {}) do
      table.insert(queue, child)
    end
  end
  recorded()
  return revoked
end
