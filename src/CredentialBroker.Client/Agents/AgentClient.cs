using System.Collections.Concurrent;
using System.Text.Json;

namespace CredentialBroker.Client.Agents;

/// <summary>
/// The agent's calls: exchange a task token (RFC 8693) for an access token to one resource, a delegated task token for a
/// sub-agent, a downstream secret, or a transaction token (and its replacement). Needs the broker's <c>agent</c> role, and the subject token must be bound to this
/// workload. <see cref="GetAccessTokenAsync"/> keeps access tokens and exchanges again shortly before they expire.
/// </summary>
public sealed class AgentClient : BrokerClient
{
    private const int PruneAbove = 1024;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(string Subject, string Resource, string? Scope), CachedToken> _tokens = new();

    internal AgentClient(BrokerChannel channel, TimeProvider time)
        : base(channel) => _time = time;

    /// <summary>
    /// Exchanges <paramref name="subjectToken"/> for a new access token for <paramref name="resource"/>, narrowed to
    /// <paramref name="scope"/> (<c>tool:action</c> tokens separated by spaces) when given.
    /// </summary>
    public Task<BrokerResult<IssuedToken>> ExchangeAsync(string subjectToken, string resource, string? scope = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectToken);
        ArgumentException.ThrowIfNullOrEmpty(resource);
        return Exchange(subjectToken, TokenTypes.AccessToken, cancellationToken, ("resource", resource), ("scope", scope));
    }

    /// <summary>
    /// An access token for <paramref name="resource"/>: the one exchanged before, while it has more than
    /// <see cref="BrokerClientOptions.RenewBefore"/> left, else a fresh exchange. Concurrent callers share one exchange.
    /// </summary>
    public async Task<BrokerResult<IssuedToken>> GetAccessTokenAsync(string subjectToken, string resource, string? scope = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectToken);
        ArgumentException.ThrowIfNullOrEmpty(resource);
        var renewBefore = Channel.Options.RenewBefore;
        var entry = _tokens.GetOrAdd((subjectToken, resource, scope), static _ => new CachedToken());
        if (entry.Token is { } fresh && fresh.ExpiresAt - _time.GetUtcNow() > renewBefore)
        {
            return BrokerResult.Success(fresh);
        }

        await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (entry.Token is { } renewed && renewed.ExpiresAt - _time.GetUtcNow() > renewBefore)
            {
                return BrokerResult.Success(renewed);
            }

            var result = await ExchangeAsync(subjectToken, resource, scope, cancellationToken).ConfigureAwait(false);
            entry.Token = result.ValueOrDefault;
            Prune();
            return result;
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    /// <summary>
    /// Delegates <paramref name="subjectToken"/> to a sub-agent: a task token bound to the actor, narrowed to
    /// <paramref name="audience"/> and <paramref name="scope"/> when given, one level deeper in the task's delegation chain
    /// (the task must allow it: <c>maxDelegationDepth</c>, and <c>mayAct</c> naming the sub-agent).
    /// <paramref name="actorToken"/> identifies the sub-agent: its SPIFFE ID (<see cref="TokenTypes.SpiffeId"/>, the
    /// default), or a JWT-SVID of the sub-agent addressed to this agent (<see cref="TokenTypes.Jwt"/>). A JWT-SVID
    /// addressed to the broker is refused (<c>actor-svid-for-broker</c>): no workload ever holds another's broker credential.
    /// </summary>
    public Task<BrokerResult<IssuedToken>> DelegateAsync(string subjectToken, string actorToken, string? audience = null, string? scope = null, string actorTokenType = TokenTypes.SpiffeId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectToken);
        ArgumentException.ThrowIfNullOrEmpty(actorToken);
        ArgumentException.ThrowIfNullOrEmpty(actorTokenType);
        return Exchange(subjectToken, TokenTypes.Task, cancellationToken, ("audience", audience), ("scope", scope), ("actor_token", actorToken), ("actor_token_type", actorTokenType));
    }

    /// <summary>
    /// Exchanges <paramref name="subjectToken"/> for a downstream secret for <paramref name="resource"/> (a provider the
    /// broker configures serves it): a login of this task's own, destroyed when the task ends.
    /// </summary>
    public async Task<BrokerResult<DownstreamSecret>> GetSecretAsync(string subjectToken, string resource, string? scope = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectToken);
        ArgumentException.ThrowIfNullOrEmpty(resource);
        var request = TokenRequest(subjectToken, TokenTypes.Secret, ("resource", resource), ("scope", scope));
        return await Channel.SendAsync(request, static async (response, ct) =>
        {
            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), cancellationToken: ct).ConfigureAwait(false);
            var root = json.RootElement;
            if (!root.TryGetProperty("secret", out var secret) || secret.ValueKind != JsonValueKind.Object)
            {
                throw new JsonException("The answer has no secret.");
            }

            return new DownstreamSecret(secret, root.GetProperty("access_token").GetString() ?? string.Empty);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Exchanges a task or delegated task token for a transaction token (draft-ietf-oauth-transaction-tokens-10) valid in
    /// <paramref name="trustDomain"/> (the broker's discovery <c>transaction_token_audience</c>) for the purpose
    /// <paramref name="scope"/> (<c>tool:action</c> tokens within the subject's). Send it to the workloads of the call chain in
    /// the <c>Txn-Token</c> header.
    /// </summary>
    public Task<BrokerResult<IssuedToken>> TransactionTokenAsync(string subjectToken, string trustDomain, string scope, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectToken);
        ArgumentException.ThrowIfNullOrEmpty(trustDomain);
        ArgumentException.ThrowIfNullOrEmpty(scope);
        return Exchange(subjectToken, TokenTypes.TxnToken, cancellationToken, ("audience", trustDomain), ("scope", scope));
    }

    /// <summary>
    /// Replaces the transaction token <paramref name="transactionToken"/>: the same transaction (<c>txn</c>, <c>sub</c>,
    /// <c>aud</c>), this workload appended to <c>req_wl</c>, a <paramref name="scope"/> within the replaced token's, and no
    /// later expiry than it.
    /// </summary>
    public Task<BrokerResult<IssuedToken>> ReplaceTransactionTokenAsync(string transactionToken, string trustDomain, string scope, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(transactionToken);
        ArgumentException.ThrowIfNullOrEmpty(trustDomain);
        ArgumentException.ThrowIfNullOrEmpty(scope);
        return Exchange(transactionToken, TokenTypes.TxnToken, cancellationToken, ("subject_token_type", TokenTypes.TxnToken), ("audience", trustDomain), ("scope", scope));
    }

    private Task<BrokerResult<IssuedToken>> Exchange(string subjectToken, string requestedType, CancellationToken cancellationToken, params (string Name, string? Value)[] parameters)
    {
        var request = TokenRequest(subjectToken, requestedType, parameters);
        return Channel.SendAsync(request, async (response, ct) =>
        {
            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), cancellationToken: ct).ConfigureAwait(false);
            var root = json.RootElement;
            var expiresIn = root.TryGetProperty("expires_in", out var seconds) && seconds.TryGetInt64(out var s) ? s : 0;
            return new IssuedToken(
                root.GetProperty("access_token").GetString() ?? throw new JsonException("access_token is null."),
                root.TryGetProperty("issued_token_type", out var issued) ? issued.GetString() ?? requestedType : requestedType,
                root.TryGetProperty("token_type", out var type) ? type.GetString() ?? "Bearer" : "Bearer",
                _time.GetUtcNow().AddSeconds(expiresIn),
                root.TryGetProperty("scope", out var scope) ? scope.GetString() : null);
        }, cancellationToken);
    }

    // subject_token_type is a task token's (jwt) unless the parameters name another.
    private static HttpRequestMessage TokenRequest(string subjectToken, string requestedType, params (string Name, string? Value)[] parameters)
    {
        var subjectType = parameters.FirstOrDefault(p => p.Name == "subject_token_type").Value ?? TokenTypes.Jwt;
        return new(HttpMethod.Post, new Uri("oauth2/token", UriKind.Relative))
        {
            Content = BrokerChannel.Form([
                ("grant_type", TokenTypes.TokenExchangeGrant),
                ("subject_token", subjectToken),
                ("subject_token_type", subjectType),
                ("requested_token_type", requestedType),
                .. parameters.Where(p => p.Name != "subject_token_type")]),
        };
    }

    // Entries of ended tasks are dropped once their token has expired, so a long-lived agent does not accumulate them.
    private void Prune()
    {
        if (_tokens.Count <= PruneAbove)
        {
            return;
        }

        var now = _time.GetUtcNow();
        foreach (var (key, entry) in _tokens)
        {
            if (entry.Token is null || entry.Token.ExpiresAt <= now)
            {
                _tokens.TryRemove(key, out _);
            }
        }
    }

    private sealed class CachedToken
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public IssuedToken? Token { get; set; }
    }
}
