namespace CredentialBroker.Abstractions.Storage;

/// <summary>The outcome of <see cref="ICredentialStore.AddCredentialAsync"/> and, when the credential is recorded, its status list entry.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Status">The recorded credential's status list entry (<see langword="null"/> unless <see cref="CredentialAddition.Added"/>, and for downstream secrets, which are not tokens).</param>
public sealed record CredentialAdditionResult(CredentialAddition Outcome, StatusListEntry? Status = null);
