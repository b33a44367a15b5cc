using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;

namespace CredentialBroker.Revoker;

/// <summary>What resolving an irrevocable credential by hand did.</summary>
public enum ResolutionOutcome
{
    /// <summary>The credential is no longer irrevocable; the note says what was done instead.</summary>
    Resolved,

    /// <summary>The note is missing or too long (see <see cref="Resolution.Errors"/>); nothing changed.</summary>
    Invalid,

    /// <summary>There is no such credential.</summary>
    NotFound,

    /// <summary>The credential is not irrevocable; there is nothing to resolve.</summary>
    NotIrrevocable,
}

/// <summary>The outcome of <see cref="IrrevocableRetrier.ResolveAsync"/>, with the credential as recorded afterwards.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Credential">The credential after resolution (for <see cref="ResolutionOutcome.Resolved"/>).</param>
/// <param name="Errors">The problems with the request (for <see cref="ResolutionOutcome.Invalid"/>).</param>
public sealed record Resolution(ResolutionOutcome Outcome, CredentialRecord? Credential, FieldErrors Errors);
