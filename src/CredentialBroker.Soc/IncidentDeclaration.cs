using CredentialBroker.Abstractions.Soc;

namespace CredentialBroker.Soc;

/// <summary>A SOC's declaration of an incident, as <see cref="IncidentService.DeclareAsync"/> judges it.</summary>
/// <param name="Title">A short description (1 to 200 characters).</param>
/// <param name="Severity"><c>low</c>, <c>medium</c>, <c>high</c> or <c>critical</c>.</param>
/// <param name="NotifiedAt">When the SOC learned of it: every exposure window starts there; not in the future.</param>
/// <param name="Selector">The credentials concerned.</param>
/// <param name="Revoke">Whether to start the bulk revocation of the selector at once.</param>
public sealed record IncidentDeclaration(string? Title, string? Severity, DateTimeOffset? NotifiedAt, RevocationSelector? Selector, bool Revoke);
