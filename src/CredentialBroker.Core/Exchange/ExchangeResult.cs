using System.Diagnostics.CodeAnalysis;

namespace CredentialBroker.Core.Exchange;

/// <summary>The outcome of a token exchange: the issued token (RFC 8693 §2.2.1), or an error (§2.2.2).</summary>
public sealed record ExchangeResult
{
    private ExchangeResult()
    {
    }

    /// <summary>The issued token.</summary>
    public string? Token { get; private init; }

    /// <summary>The token type URN of the issued token.</summary>
    public string? IssuedTokenType { get; private init; }

    /// <summary><c>Bearer</c> for access tokens (<c>DPoP</c> when bound to a DPoP key), <c>N_A</c> for delegated task tokens and secrets.</summary>
    public string? TokenType { get; private init; }

    /// <summary>Seconds until the issued token expires.</summary>
    public long ExpiresIn { get; private init; }

    /// <summary>The scope of the issued token.</summary>
    public string? Scope { get; private init; }

    /// <summary>
    /// For a downstream secret, the response's <c>secret</c> object in order (<c>kind</c>, <c>id</c>, <c>resource</c>, the
    /// provider's members, <c>expiresAt</c>); values are strings, numbers, string lists or string dictionaries.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, object>>? Secret { get; private init; }

    /// <summary>The error, when the exchange failed.</summary>
    public ExchangeError? Error { get; private init; }

    /// <summary>A description of the error, safe to show the caller.</summary>
    public string? Description { get; private init; }

    /// <summary>The error's stable identifier (<see cref="Abstractions.ErrorCodes"/>).</summary>
    public string? Code { get; private init; }

    /// <summary>For <see cref="ExchangeError.SlowDown"/>: how long to wait before the task's next exchange may succeed.</summary>
    public TimeSpan? RetryAfter { get; private init; }

    /// <summary>Whether a token was issued.</summary>
    [MemberNotNullWhen(true, nameof(Token), nameof(IssuedTokenType), nameof(TokenType), nameof(Scope))]
    [MemberNotNullWhen(false, nameof(Error), nameof(Description), nameof(Code))]
    public bool Succeeded => Token is not null;

    /// <summary>An issued token.</summary>
    public static ExchangeResult Issued(string token, string issuedTokenType, string tokenType, long expiresIn, string scope) =>
        new() { Token = token, IssuedTokenType = issuedTokenType, TokenType = tokenType, ExpiresIn = expiresIn, Scope = scope };

    /// <summary>An issued downstream secret: its secret value as <see cref="Token"/>, its description as <see cref="Secret"/>.</summary>
    public static ExchangeResult IssuedSecret(string secret, long expiresIn, string scope, IReadOnlyList<KeyValuePair<string, object>> description) =>
        new() { Token = secret, IssuedTokenType = TokenTypeUris.Secret, TokenType = "N_A", ExpiresIn = expiresIn, Scope = scope, Secret = description };

    /// <summary>A failed exchange.</summary>
    public static ExchangeResult Failed(ExchangeError error, string code, string description) => new() { Error = error, Code = code, Description = description };

    /// <summary>An exchange refused by the task's rate limit: retry after <paramref name="retryAfter"/>.</summary>
    public static ExchangeResult Throttled(TimeSpan? retryAfter, string description) =>
        new() { Error = ExchangeError.SlowDown, Code = Abstractions.ErrorCodes.RateLimited, Description = description, RetryAfter = retryAfter };
}
