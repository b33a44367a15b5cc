using CredentialBroker.Abstractions.Tasks;

namespace CredentialBroker.Abstractions.Storage;

/// <summary>A credential with its task and its ancestors, as introspection, revocation and exchange decide on them.</summary>
/// <param name="Credential">The credential.</param>
/// <param name="Task">Its task.</param>
/// <param name="Ancestors">The credentials it derives from, its task token first and its parent last (empty for a task token).</param>
public sealed record CredentialLookup(CredentialRecord Credential, TaskRecord Task, IReadOnlyList<CredentialRecord> Ancestors)
{
    /// <summary>The chain from the task token down to the credential itself.</summary>
    public IEnumerable<CredentialRecord> Chain => Ancestors.Append(Credential);
}
