namespace CredentialBroker.Abstractions;

/// <summary>
/// SPIFFE ID patterns per role. A pattern ending in <c>/</c> is a path prefix; any other pattern is one exact ID.
/// All lists default to empty (development mode adds its own three dev identities).
/// </summary>
public sealed class RoleOptions
{
    /// <summary>Who may create tasks and report their state.</summary>
    public IList<string> Orchestrator { get; } = [];

    /// <summary>Who may hold and exchange task tokens.</summary>
    public IList<string> Agent { get; } = [];

    /// <summary>Who may read any task, revoke anything and declare incidents.</summary>
    public IList<string> Soc { get; } = [];

    /// <summary>Which downstream systems may introspect access tokens for their resources (see <see cref="CredentialBrokerOptions.ResourceServers"/>) and follow the revocation feed.</summary>
    public IList<string> ResourceServer { get; } = [];

    /// <summary>Who may let a task continue past its deadline (<c>POST /v1/tasks/{id}/continuation</c>) and read the accountability trace.</summary>
    public IList<string> Operator { get; } = [];
}
