using System.Net.Http.Headers;

namespace CredentialBroker.Client.Agents;

/// <summary>
/// Puts an access token for one resource on every request an agent sends to it, exchanged from the task token and
/// exchanged again shortly before it expires (<see cref="AgentClient.GetAccessTokenAsync"/>). The token goes in
/// <c>Authorization</c> with the scheme the broker named (<c>Bearer</c>, or <c>DPoP</c> for a DPoP-bound token — a
/// handler after this one then adds the proof). A failed exchange throws <see cref="BrokerRequestException"/>.
/// </summary>
public sealed class BrokerAccessTokenHandler : DelegatingHandler
{
    private readonly AgentClient _agent;
    private readonly Func<CancellationToken, ValueTask<string>> _subjectToken;
    private readonly string _resource;
    private readonly string? _scope;

    /// <summary>Creates the handler.</summary>
    /// <param name="agent">The agent client that exchanges.</param>
    /// <param name="subjectToken">Returns the current task (or delegated) token.</param>
    /// <param name="resource">The resource the requests go to: the access token's audience.</param>
    /// <param name="scope">Optional narrowing.</param>
    public BrokerAccessTokenHandler(AgentClient agent, Func<CancellationToken, ValueTask<string>> subjectToken, string resource, string? scope = null)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(subjectToken);
        ArgumentException.ThrowIfNullOrEmpty(resource);
        _agent = agent;
        _subjectToken = subjectToken;
        _resource = resource;
        _scope = scope;
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var subject = await _subjectToken(cancellationToken).ConfigureAwait(false);
        var token = (await _agent.GetAccessTokenAsync(subject, _resource, _scope, cancellationToken).ConfigureAwait(false)).Value;
        request.Headers.Authorization = new AuthenticationHeaderValue(token.TokenType, token.Token);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
