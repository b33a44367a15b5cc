using CredentialBroker.Abstractions.Tasks;

namespace CredentialBroker.Abstractions.Storage;

/// <summary>A task with every credential issued under it, oldest first.</summary>
public sealed record TaskView(TaskRecord Task, IReadOnlyList<CredentialRecord> Credentials);
