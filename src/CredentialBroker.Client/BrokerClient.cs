using System.Text.Json;

namespace CredentialBroker.Client;

/// <summary>
/// What every authenticated caller may do: introspect a token it may see (RFC 7662) and revoke one it holds or
/// created (RFC 7009). The role clients — <see cref="Orchestrators.OrchestratorClient"/>, <see cref="Agents.AgentClient"/>,
/// <see cref="Soc.SocClient"/>, <see cref="Operators.OperatorClient"/>, <see cref="Audit.AuditClient"/> — add their role's calls.
/// </summary>
public abstract class BrokerClient
{
    private protected BrokerClient(BrokerChannel channel) => Channel = channel;

    private protected BrokerChannel Channel { get; }

    /// <summary>Asks the broker whether <paramref name="token"/> is active (<c>POST /oauth2/introspect</c>).</summary>
    public Task<BrokerResult<TokenIntrospection>> IntrospectAsync(string token, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("oauth2/introspect", UriKind.Relative)) { Content = BrokerChannel.Form(("token", token)) };
        return Channel.SendAsync(request, static async (response, ct) =>
        {
            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), cancellationToken: ct).ConfigureAwait(false);
            return new TokenIntrospection(json.RootElement);
        }, cancellationToken);
    }

    /// <summary>
    /// Revokes <paramref name="token"/> and everything derived from it (<c>POST /oauth2/revoke</c>). Succeeds also for
    /// tokens already revoked, expired or unknown (RFC 7009); a token of someone else is <c>unauthorized_client</c>.
    /// </summary>
    public async Task<BrokerResult> RevokeTokenAsync(string token, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("oauth2/revoke", UriKind.Relative)) { Content = BrokerChannel.Form(("token", token)) };
        var result = await Channel.SendAsync(request, static (_, _) => Task.FromResult(true), cancellationToken).ConfigureAwait(false);
        return result.IsSuccess ? BrokerResult.Success() : BrokerResult.Failure(result.Error);
    }
}
