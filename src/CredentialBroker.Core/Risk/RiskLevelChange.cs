using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Policy;

namespace CredentialBroker.Core.Risk;

/// <summary>What <see cref="RiskLevelService.SetAsync"/> did: set the level, or found the request invalid.</summary>
/// <param name="Entry">The level as set; <see langword="null"/> when the request was invalid.</param>
/// <param name="Errors">Every problem with the request; empty when the level was set.</param>
public sealed record RiskLevelChange(RiskEntry? Entry, FieldErrors Errors);
