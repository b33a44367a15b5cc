using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Soc;

namespace CredentialBroker.Soc;

/// <summary>What <see cref="BulkRevocationService.RequestAsync"/> did: started the revocation, or found the request invalid.</summary>
/// <param name="Revocation">The stored revocation, in force from now on; <see langword="null"/> when the request was invalid.</param>
/// <param name="Errors">Every problem with the request; empty when it started.</param>
public sealed record BulkRevocationStart(BulkRevocation? Revocation, FieldErrors Errors);
