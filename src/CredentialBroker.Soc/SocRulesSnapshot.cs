using CredentialBroker.Abstractions;

namespace CredentialBroker.Soc;

/// <summary>The bulk revocations in force (<see cref="SocRules"/>), as a snapshot every replica reloads on its schedule.</summary>
internal sealed class SocRulesSnapshot(BulkRevocationService bulk) : ISnapshot
{
    public ValueTask RefreshAsync(CancellationToken cancellationToken) => bulk.RefreshRulesAsync(cancellationToken);
}
