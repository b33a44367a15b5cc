using CredentialBroker.Abstractions.Secrets;

namespace CredentialBroker.Core.Tests;

/// <summary>
/// A secret issuer whose answers a test sets, for the exchange's own logic (record first, mark, confirm, revoke on
/// failure). The real providers run against real PostgreSQL and Redis in their own tests and in the server's.
/// </summary>
internal sealed class TestSecretIssuer : ISecretIssuer
{
    public Dictionary<string, SecretTarget> Targets { get; } = new(StringComparer.Ordinal)
    {
        ["postgres://payments"] = new SecretTarget("payments-db", "postgresql", "postgres://payments", TimeSpan.FromMinutes(2)),
    };

    /// <summary>When set, issuing throws this.</summary>
    public SecretIssueException? Failure { get; set; }

    /// <summary>When set, runs inside the backend call, before it answers (to look at the store then, or to hang).</summary>
    public Func<SecretPlan, CancellationToken, Task>? During { get; set; }

    public List<SecretPlan> Issued { get; } = [];

    public SecretTarget? Find(string resource) => Targets.GetValueOrDefault(resource);

    public SecretPlan Plan(SecretTarget target, string jti, DateTimeOffset expiresAt) => new(target, jti, "cb_" + jti[..8].ToLowerInvariant(), expiresAt);

    public async ValueTask<IssuedSecretValue> IssueAsync(SecretPlan plan, CancellationToken cancellationToken)
    {
        if (During is { } during)
        {
            await during(plan, cancellationToken);
        }

        if (Failure is { } failure)
        {
            throw failure;
        }

        Issued.Add(plan);
        return new IssuedSecretValue("s3cret-" + plan.Jti, null, new Dictionary<string, object>
        {
            ["host"] = "127.0.0.1", ["port"] = 5432, ["database"] = "payments", ["username"] = plan.Username!, ["password"] = "s3cret-" + plan.Jti,
        });
    }
}
