using System.Diagnostics.CodeAnalysis;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core.Tokens;

namespace CredentialBroker.Core.Identity;

/// <summary>The outcome of validating a JWT-SVID: the workload's ID, or why it was rejected.</summary>
public readonly record struct SvidValidationResult
{
    private SvidValidationResult(SpiffeId? id, DateTimeOffset expiresAt, JwtValidationFailure? failure)
    {
        Id = id;
        ExpiresAt = expiresAt;
        Failure = failure;
    }

    /// <summary>The verified workload ID when <see cref="IsValid"/>.</summary>
    public SpiffeId? Id { get; }

    /// <summary>When the SVID expires.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>The key its <c>cnf</c> claim names (<c>jkt</c> or <c>x5t#S256</c>), if it has one: a key its workload proves it holds.</summary>
    public KeyBinding? Confirmation { get; init; }

    /// <summary>Why the SVID was rejected when not <see cref="IsValid"/>.</summary>
    public JwtValidationFailure? Failure { get; }

    /// <summary>Whether the SVID passed every check.</summary>
    [MemberNotNullWhen(true, nameof(Id))]
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool IsValid => Id is not null;

    /// <summary>A verified SVID.</summary>
    public static SvidValidationResult Valid(SpiffeId id, DateTimeOffset expiresAt) => new(id, expiresAt, null);

    /// <summary>A rejected SVID.</summary>
    public static SvidValidationResult Invalid(JwtValidationFailure failure) => new(null, default, failure);
}
