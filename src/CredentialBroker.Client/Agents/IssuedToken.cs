namespace CredentialBroker.Client.Agents;

/// <summary>A token the exchange issued: an access token for one resource, or a delegated task token for a sub-agent.</summary>
public sealed class IssuedToken
{
    internal IssuedToken(string token, string issuedTokenType, string tokenType, DateTimeOffset expiresAt, string? scope)
    {
        Token = token;
        IssuedTokenType = issuedTokenType;
        TokenType = tokenType;
        ExpiresAt = expiresAt;
        Scope = scope;
    }

    /// <summary>The token (<c>access_token</c> of the answer). Never log it.</summary>
    public string Token { get; }

    /// <summary>What it is: <see cref="TokenTypes.AccessToken"/> or <see cref="TokenTypes.Task"/>.</summary>
    public string IssuedTokenType { get; }

    /// <summary>How to present it (<c>token_type</c>): <c>Bearer</c>, <c>DPoP</c> for a DPoP-bound token, <c>N_A</c> for a delegated task token.</summary>
    public string TokenType { get; }

    /// <summary>When it expires, by this client's clock (<c>expires_in</c> after the answer arrived).</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>The granted scope, if the broker said.</summary>
    public string? Scope { get; }

    /// <inheritdoc />
    public override string ToString() => $"{IssuedTokenType} ({TokenType}), scope '{Scope}', expires {ExpiresAt:O}";
}
