using CredentialBroker.Core.Tasks;

namespace CredentialBroker.Core.Storage;

/// <summary>A credential with the facts about its task that introspection and revocation decide on.</summary>
public sealed record CredentialLookup(CredentialRecord Credential, TaskState TaskState, string TaskCreatedBy);
