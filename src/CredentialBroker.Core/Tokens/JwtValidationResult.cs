using System.Diagnostics.CodeAnalysis;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CredentialBroker.Core.Tokens;

/// <summary>The outcome of validating a JWT: the verified token, or why it was rejected. Expected failures are values, not exceptions.</summary>
public readonly record struct JwtValidationResult
{
    private JwtValidationResult(JsonWebToken? token, JwtValidationFailure? failure)
    {
        Token = token;
        Failure = failure;
    }

    /// <summary>The verified token when <see cref="IsValid"/>.</summary>
    public JsonWebToken? Token { get; }

    /// <summary>Why the token was rejected when not <see cref="IsValid"/>.</summary>
    public JwtValidationFailure? Failure { get; }

    /// <summary>Whether the token passed every check.</summary>
    [MemberNotNullWhen(true, nameof(Token))]
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool IsValid => Token is not null;

    /// <summary>A verified token.</summary>
    public static JwtValidationResult Valid(JsonWebToken token) => new(token, null);

    /// <summary>A rejected token.</summary>
    public static JwtValidationResult Invalid(JwtValidationFailure failure) => new(null, failure);
}
