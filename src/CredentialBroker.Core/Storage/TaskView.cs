using CredentialBroker.Core.Tasks;

namespace CredentialBroker.Core.Storage;

/// <summary>A task with every credential issued under it, oldest first.</summary>
public sealed record TaskView(TaskRecord Task, IReadOnlyList<CredentialRecord> Credentials);
