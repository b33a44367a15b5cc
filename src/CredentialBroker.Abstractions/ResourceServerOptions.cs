namespace CredentialBroker.Abstractions;

/// <summary>
/// One resource server: <c>CredentialBroker:ResourceServers:&lt;name&gt;</c>. Introspection tells a resource server about
/// access tokens for its own resources only (RFC 7662 §4 lets the server decide what a caller may learn): never about
/// task tokens, delegated tokens, or other resources' tokens.
/// </summary>
public sealed class ResourceServerOptions
{
    /// <summary>Its SPIFFE ID, or a prefix ending in <c>/</c>. Required. It also needs the <c>ResourceServer</c> role.</summary>
    public string? Id { get; set; }

    /// <summary>The resources (access token audiences) it serves, e.g. <c>postgres://payments</c>. At least one.</summary>
    public IList<string> Resources { get; } = [];
}
