using System.Text;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// The key layout: <c>&lt;prefix&gt;:{&lt;hash tag&gt;}:&lt;name&gt;</c>. Redis Cluster places a key by its hash tag, so keys
/// that one Lua script or one multi-key command touches share a tag, and every script stays atomic on a cluster as on a
/// single server. The families, and why each is tagged as it is:
/// <list type="bullet">
/// <item>per audit chain, tag = <c>t:N</c>: a chain of the boundary log and the records of the tasks whose events it holds
/// (task hash, credentials hash, pending set, event index), so the script that changes a task appends its event in the same
/// atomic step; <see cref="ChainOf"/> picks the chain;</item>
/// <item>sharded by task id, tag = <c>exp:N</c>, <c>idx:N</c>, <c>work:N</c>: the expiry index, the SOC indexes and the
/// work queue, data every task adds to and that must spread over the primaries; <see cref="Shard"/> picks the shard;</item>
/// <item>one slot each, tag = a fixed name: the feed (one ordered stream: its ids are the followers' resume points), the
/// retry and issuing schedules, the risk levels, and the SOC's records (<c>{soc}</c>: one MGET reads every revocation
/// in force); a bulk revocation's matches, which can be large, carry the revocation's own tag;</item>
/// <item>one key each, tag = the key itself: idempotency claims and remembered events.</item>
/// </list>
/// A new family follows the same rule: keys one script touches share a tag; data that grows with the number of tasks or
/// requests is sharded (or tagged per item) rather than put in one slot. docs/architecture.md lists every key.
/// </summary>
internal sealed class RedisKeys
{
    private readonly string _prefix;

    public RedisKeys(RedisStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _prefix = options.KeyPrefix;
        ExpiryShards = options.ExpiryIndexShards;
        IndexShards = options.SocIndexShards;
        WorkShards = options.WorkQueueShards;
        AuditChains = options.AuditChains;
    }

    public int AuditChains { get; }

    public int ExpiryShards { get; }

    public int IndexShards { get; }

    public int WorkShards { get; }

    public RedisKey Task(string taskId) => $"{_prefix}:{{t:{ChainOf(taskId)}}}:task:{taskId}";

    public RedisKey Credentials(string taskId) => $"{_prefix}:{{t:{ChainOf(taskId)}}}:creds:{taskId}";

    public RedisKey Pending(string taskId) => $"{_prefix}:{{t:{ChainOf(taskId)}}}:pending:{taskId}";

    /// <summary>The audit chain of <paramref name="taskId"/>; chain 0 for events about no task.</summary>
    public int ChainOf(string? taskId) => taskId is null || AuditChains == 1 ? 0 : Shard(taskId, AuditChains);

    /// <summary>A chain's events, oldest first: a list of JSON entries (<c>chain, seq, prev, hash, event</c>).</summary>
    public RedisKey AuditLog(int chain) => $"{_prefix}:{{t:{chain}}}:audit";

    /// <summary>A chain's head: <c>"&lt;seq&gt; &lt;hash&gt;"</c> of its last event.</summary>
    public RedisKey AuditHead(int chain) => $"{_prefix}:{{t:{chain}}}:audit:head";

    /// <summary>The positions, in its chain, of one task's events.</summary>
    public RedisKey AuditTask(string taskId) => $"{_prefix}:{{t:{ChainOf(taskId)}}}:audit:task:{taskId}";

    /// <summary>A chain's Token Status List counter: how many entries its lists have given out (status.lua).</summary>
    public RedisKey StatusCounter(int chain) => $"{_prefix}:{{t:{chain}}}:sl:n";

    /// <summary>The prefix of a chain's status list bitmaps; a list's key is the prefix and the list's id (<c>&lt;chain&gt;-&lt;generation&gt;</c>).</summary>
    public string StatusListPrefix(int chain) => $"{_prefix}:{{t:{chain}}}:sl:";

    /// <summary>The signed checkpoints, oldest first.</summary>
    public RedisKey AuditCheckpoints => $"{_prefix}:{{t:0}}:audit:checkpoints";

    // The expiry index: member taskId/jti, score exp (unix s); claimed: member taskId/jti|exp, score the lease deadline (unix ms).
    public RedisKey ExpiryShard(int shard) => $"{_prefix}:{{exp:{shard}}}:due";

    public RedisKey ClaimedShard(int shard) => $"{_prefix}:{{exp:{shard}}}:claimed";

    public RedisKey ExpiryShardOf(string taskId) => ExpiryShard(Shard(taskId, ExpiryShards));

    public RedisKey ClaimedShardOf(string taskId) => ClaimedShard(Shard(taskId, ExpiryShards));

    // The revoker's work queue: one stream per shard, each with the consumer group 'revokers'.
    public RedisKey Work(int shard) => $"{_prefix}:{{work:{shard}}}:intents";

    public int WorkShardOf(string taskId) => Shard(taskId, WorkShards);

    public RedisKey Feed => $"{_prefix}:{{feed}}:events";

    public RedisKey Retries => $"{_prefix}:{{retry}}:due";

    /// <summary>Downstream secrets being issued: member <c>taskId/jti</c>, score the deadline for confirming the issue (unix ms).</summary>
    public RedisKey Issuing => $"{_prefix}:{{issuing}}:due";

    public RedisKey Idempotency(string scopedKey) => $"{_prefix}:idem:{{{scopedKey}}}";

    public RedisKey Risk => $"{_prefix}:{{risk}}:levels";

    // SOC indexes, sharded by task: all of a task's entries live in the {idx:N} slot of its shard, so one script call
    // writes them; a selector reads the index of every shard. Scores are expiry times (unix ms).
    public int IndexShardOf(string taskId) => Shard(taskId, IndexShards);

    public RedisKey TasksIndex(int shard) => $"{_prefix}:{{idx:{shard}}}:tasks";

    public RedisKey HoldersIndex(int shard) => $"{_prefix}:{{idx:{shard}}}:holders";

    public RedisKey HoldersKeepUntil(int shard) => $"{_prefix}:{{idx:{shard}}}:holders:keep";

    public RedisKey HolderIndex(int shard, string holder) => $"{_prefix}:{{idx:{shard}}}:h:{holder}";

    public RedisKey WorkflowIndex(int shard, string workflowId) => $"{_prefix}:{{idx:{shard}}}:wf:{workflowId}";

    public RedisKey ApprovalIndex(int shard, string approvalId) => $"{_prefix}:{{idx:{shard}}}:ap:{approvalId}";

    public RedisKey ApproverIndex(int shard, string approver) => $"{_prefix}:{{idx:{shard}}}:apr:{approver}";

    public RedisKey ResourceIndex(int shard, string resource) => $"{_prefix}:{{idx:{shard}}}:res:{resource}";

    /// <summary>A credential's task, in the index shard of that task (a <c>derivedFrom</c> selector asks every shard).</summary>
    public RedisKey CredentialTask(int shard, string jti) => $"{_prefix}:{{idx:{shard}}}:j:{jti}";

    // SOC records: one slot ({soc}), so one MGET reads every revocation in force with its lift.
    public RedisKey Revocation(string id) => $"{_prefix}:{{soc}}:rev:{id}";

    public RedisKey RevocationLift(string id) => $"{_prefix}:{{soc}}:rev:{id}:lift";

    public RedisKey ActiveRevocations => $"{_prefix}:{{soc}}:active";

    public RedisKey Incident(string id) => $"{_prefix}:{{soc}}:inc:{id}";

    public RedisKey Incidents => $"{_prefix}:{{soc}}:incidents";

    public RedisKey IncidentRevocations(string id) => $"{_prefix}:{{soc}}:inc:{id}:revs";

    public RedisKey Lease(string name) => $"{_prefix}:{{soc}}:lease:{name}";

    /// <summary>A bulk revocation's matched credentials: possibly millions, so in a slot of their own rather than in <c>{soc}</c>.</summary>
    public RedisKey RevocationMatches(string id) => $"{_prefix}:{{rev:{id}}}:matches";

    public RedisKey Remembered(string key) => $"{_prefix}:once:{{{key}}}";

    // The Shared Signals transmitter: its streams and feed cursor in one slot ({ssf}); each stream's pending events
    // (an order and the SETs, touched together) in a slot of their own, since they grow with the revocations it carries.
    public RedisKey SsfStreams => $"{_prefix}:{{ssf}}:streams";

    public RedisKey SsfFeedCursor => $"{_prefix}:{{ssf}}:cursor";

    public RedisKey SsfPendingOrder(string streamId) => $"{_prefix}:{{ssf:{streamId}}}:order";

    public RedisKey SsfPendingSets(string streamId) => $"{_prefix}:{{ssf:{streamId}}}:sets";

    /// <summary>The write a replica acknowledgement waits for (<see cref="RedisDurability"/>): in the slot of <paramref name="key"/>, so on its node.</summary>
    public RedisKey Barrier(RedisKey key) => $"{_prefix}:{{{HashTag(key)}}}:sync";

    /// <summary>
    /// The token bucket of one partition of a rate limit. The partition (a SPIFFE ID of up to 2048 bytes, a task id) is hashed
    /// into the key, which is its own hash tag, so buckets spread over a cluster's slots.
    /// </summary>
    public RedisKey RateLimit(string limit, string partition) =>
        $"{_prefix}:{{rl:{limit}:{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(partition)).AsSpan(0, 12))}}}";

    /// <summary>A used DPoP proof (its key is a digest of the proof key's thumbprint and jti): each in its own slot.</summary>
    public RedisKey DpopProof(string proofKey) => $"{_prefix}:dpop:{{{proofKey}}}";

    /// <summary>A DPoP nonce handed out to clients.</summary>
    public RedisKey DpopNonce(string nonce) => $"{_prefix}:dpop-nonce:{{{nonce}}}";

    public static RedisValue ExpiryMember(string taskId, string jti) => $"{taskId}/{jti}";

    /// <summary>The shard of <paramref name="taskId"/> among <paramref name="shards"/>. FNV-1a: stable across processes and versions, unlike string.GetHashCode.</summary>
    public static int Shard(string taskId, int shards)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(taskId))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash % (uint)shards);
    }

    // Every key the broker writes carries a hash tag: the text between the first '{' and the next '}'.
    private static string HashTag(RedisKey key)
    {
        var text = (string)key!;
        var open = text.IndexOf('{', StringComparison.Ordinal);
        var close = open < 0 ? -1 : text.IndexOf('}', open + 1);
        return close > open + 1 ? text[(open + 1)..close] : throw new ArgumentException($"The key '{text}' has no hash tag.", nameof(key));
    }
}
