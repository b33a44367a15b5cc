using System.Collections.Concurrent;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core.Issuance;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Core.Revocation;

/// <summary>
/// Publishes the Token Status Lists (draft-ietf-oauth-status-list) the store keeps: each list signed as a
/// <c>statuslist+jwt</c> and served from memory for at most <see cref="CredentialBrokerOptions.StatusListTimeToLive"/>, so a
/// revocation is in a served list within that long after the store recorded it (the bit is set in the same atomic step).
/// </summary>
public sealed class StatusListPublisher
{
    private readonly IStatusListStore _store;
    private readonly TokenFactory _tokens;
    private readonly TimeProvider _time;
    private readonly CredentialBrokerOptions _options;
    private readonly ConcurrentDictionary<string, StatusListToken> _signed = new(StringComparer.Ordinal);

    /// <summary>Creates the publisher.</summary>
    public StatusListPublisher(IStatusListStore store, TokenFactory tokens, IOptions<CredentialBrokerOptions> options, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _tokens = tokens;
        _options = options.Value;
        _time = time;
    }

    /// <summary>The URIs of every list allocated so far (the Status List Aggregation, draft §9).</summary>
    public async ValueTask<IReadOnlyList<string>> GetUrisAsync(CancellationToken cancellationToken) =>
        [.. (await _store.GetListsAsync(cancellationToken)).Select(_tokens.StatusListUri)];

    /// <summary>The signed list <paramref name="list"/>, fresh or signed less than its time to live ago; <see langword="null"/> when there is no such list.</summary>
    /// <exception cref="StoreUnavailableException">The store did not answer and no signed list is still fresh.</exception>
    public async ValueTask<StatusListToken?> GetAsync(string list, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(list);
        var now = _time.GetUtcNow();
        if (_signed.TryGetValue(list, out var cached) && now < cached.IssuedAt + _options.StatusListTimeToLive)
        {
            return cached;
        }

        if (await _store.GetListAsync(list, cancellationToken) is not { } bits)
        {
            return null;
        }

        // NumericDate has whole seconds: the cache runs from the iat the token states.
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var token = new StatusListToken(_tokens.SignStatusList(list, bits, issuedAt, _options.StatusListTimeToLive, _options.StatusListLifetime),
            issuedAt, issuedAt + _options.StatusListTimeToLive);
        _signed[list] = token;
        return token;
    }
}
