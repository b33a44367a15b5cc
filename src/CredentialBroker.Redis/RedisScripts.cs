namespace CredentialBroker.Redis;

/// <summary>The Lua scripts, loaded once from embedded resources. StackExchange.Redis sends them by SHA (EVALSHA) after first use.</summary>
internal static class RedisScripts
{
    // Scripts that record an action append its boundary-log event in the same step: audit.lua goes in front of them.
    // Scripts that record or revoke tokens keep their status lists in the same step: status.lua goes in front of them too.
    public static readonly string CreateTask = Audited("create_task", "status");
    public static readonly string ChangeState = Audited("change_state", "status");
    public static readonly string RevokeSubtree = Audited("revoke_subtree", "status", "subtree");
    public static readonly string RevokeSubtrees = Audited("revoke_subtrees", "status", "subtree");
    public static readonly string AddCredential = Audited("add_credential", "status");
    public static readonly string ContinueTask = Audited("continue_task", "status");
    public static readonly string AuditAppend = Audited("audit_append");
    public static readonly string AuditTrim = Load("audit_trim");
    public static readonly string ClaimDue = Load("claim_due");
    public static readonly string CompleteDownstream = Load("complete_downstream_batch");
    public static readonly string FeedAppend = Load("feed_append");
    public static readonly string ClaimRetries = Load("claim_retries");
    public static readonly string Index = Load("index");
    public static readonly string Lease = Load("lease");
    public static readonly string Lookup = Load("lookup");
    public static readonly string Time = Load("time");
    public static readonly string TokenBucket = Load("token_bucket");

    private static string Audited(string name, params string[] helpers) =>
        string.Join("\n", [Load("audit"), .. helpers.Select(Load), Load(name)]);

    private static string Load(string name)
    {
        using var stream = typeof(RedisScripts).Assembly.GetManifestResourceStream($"CredentialBroker.Redis.Scripts.{name}.lua")
            ?? throw new InvalidOperationException($"The script {name}.lua is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
