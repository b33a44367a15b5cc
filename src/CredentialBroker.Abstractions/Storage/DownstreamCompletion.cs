namespace CredentialBroker.Abstractions.Storage;

/// <summary>One credential's downstream outcome, to record with others in one call (<see cref="IRevokerStore.CompleteAsync(IReadOnlyList{DownstreamCompletion}, CancellationToken)"/>).</summary>
/// <param name="Credential">The credential, as <see cref="IRevokerStore.GetPendingAsync(string, CancellationToken)"/> or <see cref="IRevokerStore.ReadDueAsync(DueCredential, DateTimeOffset, CancellationToken)"/> returned it.</param>
/// <param name="Outcome">What its downstream revocation did.</param>
/// <param name="RetryAt">For an irrevocable outcome, when to try again.</param>
public sealed record DownstreamCompletion(CredentialRecord Credential, DownstreamState Outcome, DateTimeOffset? RetryAt);
