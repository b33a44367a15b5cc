namespace CredentialBroker.Abstractions.Policy;

/// <summary>One grant being decided: what is asked for, for how long, and (on delegation) for whom.</summary>
/// <param name="Tool">The tool.</param>
/// <param name="Destination">The destination the tool acts on.</param>
/// <param name="Actions">The actions asked for.</param>
/// <param name="DeclaredDataClass">The data class the orchestrator declared, if any (a claim; policies should prefer the registered fact).</param>
/// <param name="Ttl">The lifetime the credential would get.</param>
/// <param name="Audience">The audience of the access token asked for (exchange only).</param>
/// <param name="Actor">The sub-agent the token is delegated to (delegation only).</param>
/// <param name="Depth">The delegation depth the new credential would have.</param>
/// <param name="SecretKind">When a downstream secret is asked for, the kind of the provider that would issue it (<c>postgresql</c>, <c>redis</c>, <c>vault</c>): a fact, not a claim.</param>
public sealed record PolicyGrantRequest(
    string Tool,
    string Destination,
    IReadOnlyList<string> Actions,
    string? DeclaredDataClass,
    TimeSpan Ttl,
    string? Audience,
    string? Actor,
    int Depth,
    string? SecretKind = null)
{
    /// <summary>
    /// On an exchange or a delegation, the <c>requested_token_type</c> the decision is for (an access token, a delegated task
    /// token, a secret or a transaction token URI); <see langword="null"/> for task creation and continuation.
    /// </summary>
    public string? TokenType { get; init; }
}
