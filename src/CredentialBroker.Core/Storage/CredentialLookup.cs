using CredentialBroker.Core.Tasks;

namespace CredentialBroker.Core.Storage;

/// <summary>A credential with its task, as introspection, revocation and exchange decide on them.</summary>
public sealed record CredentialLookup(CredentialRecord Credential, TaskRecord Task);
