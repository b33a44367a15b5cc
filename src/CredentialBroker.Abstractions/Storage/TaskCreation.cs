using CredentialBroker.Abstractions.Tasks;

namespace CredentialBroker.Abstractions.Storage;

/// <summary>The outcome of <see cref="ICredentialStore.CreateTaskAsync"/>: what is stored, and whether this call stored it.</summary>
public sealed record TaskCreation(bool Created, TaskRecord Task, CredentialRecord TaskToken);
