using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Soc;

namespace CredentialBroker.Soc;

/// <summary>What <see cref="IncidentService.DeclareAsync"/> did: declared the incident, or found the declaration invalid.</summary>
/// <param name="Incident">The incident; <see langword="null"/> when the declaration was invalid.</param>
/// <param name="Errors">Every problem with the declaration; empty when it was declared.</param>
public sealed record IncidentDeclared(Incident? Incident, FieldErrors Errors);
