using CredentialBroker.Abstractions.Storage;

namespace CredentialBroker.Core.Tests.Revocation;

/// <summary>
/// The embedded revoker store as the Redis store can look after a late failed attempt met a settled outcome: a retry
/// stays scheduled for <paramref name="stray"/> although its outcome is settled, until it is dropped.
/// </summary>
internal sealed class StrayRetryStore(IRevokerStore inner, (string TaskId, string Jti) stray) : DelegatingRevokerStore(inner)
{
    public bool Dropped { get; private set; }

    public override async ValueTask<IReadOnlyList<(string TaskId, string Jti)>> ClaimRetriesAsync(DateTimeOffset now, int limit, TimeSpan lease, CancellationToken cancellationToken) =>
        [.. await Inner.ClaimRetriesAsync(now, limit, lease, cancellationToken), .. Dropped ? Array.Empty<(string, string)>() : [stray]];

    public override ValueTask DropRetryAsync(string taskId, string jti, CancellationToken cancellationToken)
    {
        Dropped |= (taskId, jti) == stray;
        return Inner.DropRetryAsync(taskId, jti, cancellationToken);
    }
}
