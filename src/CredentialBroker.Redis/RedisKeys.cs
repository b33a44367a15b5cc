using System.Text;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// The key layout. Every key of one task carries the task id as its hash tag, so a task lives in one
/// cluster slot and its scripts stay atomic on Redis Cluster. Index shards and idempotency keys carry
/// their own tags.
/// </summary>
internal sealed class RedisKeys(string prefix, int expiryShards)
{
    public RedisKey Task(string taskId) => $"{prefix}:{{{taskId}}}:task";

    public RedisKey Credentials(string taskId) => $"{prefix}:{{{taskId}}}:creds";

    public RedisKey Pending(string taskId) => $"{prefix}:{{{taskId}}}:pending";

    public RedisKey ClaimedShard(int shard) => $"{prefix}:{{exp:{shard}}}:claimed";

    public int ExpiryShards => expiryShards;

    public RedisKey Work => $"{prefix}:{{work}}:intents";

    public RedisKey Feed => $"{prefix}:{{feed}}:events";

    public RedisKey Retries => $"{prefix}:{{retry}}:due";

    /// <summary>Downstream secrets being issued: member <c>taskId/jti</c>, score the deadline for confirming the issue (unix ms).</summary>
    public RedisKey Issuing => $"{prefix}:{{issuing}}:due";

    public RedisKey ExpiryShard(int shard) => $"{prefix}:{{exp:{shard}}}:due";

    public RedisKey ExpiryShardOf(string taskId) => ExpiryShard(ShardOf(taskId));

    public RedisKey ClaimedShardOf(string taskId) => ClaimedShard(ShardOf(taskId));

    public RedisKey Idempotency(string scopedKey) => $"{prefix}:idem:{{{scopedKey}}}";

    public RedisKey Risk => $"{prefix}:{{risk}}:levels";

    // SOC indexes: one slot ({idx}), so one script keeps a task's entries together. Scores are expiry times (unix ms).
    public RedisKey TasksIndex => $"{prefix}:{{idx}}:tasks";

    public RedisKey HoldersIndex => $"{prefix}:{{idx}}:holders";

    public RedisKey HoldersKeepUntil => $"{prefix}:{{idx}}:holders:keep";

    public RedisKey HolderIndex(string holder) => $"{prefix}:{{idx}}:h:{holder}";

    public RedisKey WorkflowIndex(string workflowId) => $"{prefix}:{{idx}}:wf:{workflowId}";

    public RedisKey ApprovalIndex(string approvalId) => $"{prefix}:{{idx}}:ap:{approvalId}";

    public RedisKey ApproverIndex(string approver) => $"{prefix}:{{idx}}:apr:{approver}";

    public RedisKey ResourceIndex(string resource) => $"{prefix}:{{idx}}:res:{resource}";

    public RedisKey CredentialTask(string jti) => $"{prefix}:{{idx}}:j:{jti}";

    // SOC records: one slot ({soc}).
    public RedisKey Revocation(string id) => $"{prefix}:{{soc}}:rev:{id}";

    public RedisKey RevocationMatches(string id) => $"{prefix}:{{soc}}:rev:{id}:m";

    public RedisKey RevocationLift(string id) => $"{prefix}:{{soc}}:rev:{id}:lift";

    public RedisKey ActiveRevocations => $"{prefix}:{{soc}}:active";

    public RedisKey Incident(string id) => $"{prefix}:{{soc}}:inc:{id}";

    public RedisKey Incidents => $"{prefix}:{{soc}}:incidents";

    public RedisKey IncidentRevocations(string id) => $"{prefix}:{{soc}}:inc:{id}:revs";

    public RedisKey Lease(string name) => $"{prefix}:{{soc}}:lease:{name}";

    public RedisKey Remembered(string key) => $"{prefix}:once:{{{key}}}";

    /// <summary>
    /// The token bucket of one partition of a rate limit. The partition (a SPIFFE ID of up to 2048 bytes, a task id) is hashed
    /// into the key, which is its own hash tag, so buckets spread over a cluster's slots.
    /// </summary>
    public RedisKey RateLimit(string limit, string partition) =>
        $"{prefix}:{{rl:{limit}:{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(partition)).AsSpan(0, 12))}}}";

    /// <summary>A used DPoP proof (its key is a digest of the proof key's thumbprint and jti): each in its own slot.</summary>
    public RedisKey DpopProof(string proofKey) => $"{prefix}:dpop:{{{proofKey}}}";

    /// <summary>A DPoP nonce handed out to clients.</summary>
    public RedisKey DpopNonce(string nonce) => $"{prefix}:dpop-nonce:{{{nonce}}}";

    public static RedisValue ExpiryMember(string taskId, string jti) => $"{taskId}/{jti}";

    // FNV-1a: stable across processes and versions, unlike string.GetHashCode.
    private int ShardOf(string taskId)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(taskId))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash % (uint)expiryShards);
    }
}
