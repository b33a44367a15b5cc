namespace CredentialBroker.Downstream.Providers;

/// <summary>One provider: <c>CredentialBroker:Downstream:Providers:&lt;name&gt;</c>.</summary>
public sealed class ProviderOptions
{
    /// <summary><c>postgresql</c>, <c>redis</c> or <c>vault</c>. Required.</summary>
    public string? Kind { get; set; }

    /// <summary>The destination string grants and exchanges name, e.g. <c>postgres://payments</c>. Required; unique across providers.</summary>
    public string? Resource { get; set; }

    /// <summary>
    /// postgresql: an Npgsql connection string of the broker's admin role; redis: a StackExchange.Redis configuration
    /// string of the broker's admin user. Required for those kinds; unused for vault.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>postgresql: existing roles the new role becomes a member of. Default: none.</summary>
    public IList<string> Roles { get; } = [];

    /// <summary>redis: ACL rules for the new user, e.g. <c>~app:* +@read</c> (<c>+@connection</c> is always added). Required for redis.</summary>
    public string? Acl { get; set; }

    /// <summary>vault: where and how to reach Vault. Required for vault.</summary>
    public VaultProviderOptions Vault { get; set; } = new();

    /// <summary>Upper bound of a secret's lifetime (never beyond its parent credential). Default 5 min.</summary>
    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromMinutes(5);
}
