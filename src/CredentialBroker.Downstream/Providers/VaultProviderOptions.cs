namespace CredentialBroker.Downstream.Providers;

/// <summary>vault: <c>CredentialBroker:Downstream:Providers:&lt;name&gt;:Vault</c>.</summary>
public sealed class VaultProviderOptions
{
    /// <summary>Vault's address, e.g. <c>https://vault.corp.example:8200</c>. Required for vault.</summary>
    public string? Address { get; set; }

    /// <summary>The secrets engine mount, e.g. <c>database</c>. Required for vault.</summary>
    public string? Mount { get; set; }

    /// <summary>The role whose credentials are read (<c>GET /v1/&lt;mount&gt;/creds/&lt;role&gt;</c>). Required for vault.</summary>
    public string? Role { get; set; }

    /// <summary>How the broker logs in to Vault.</summary>
    public VaultAuthOptions Auth { get; set; } = new();

    /// <summary>Vault Enterprise namespace (<c>X-Vault-Namespace</c>), if any. Default: none.</summary>
    public string? Namespace { get; set; }

    /// <summary>How long one Vault call may take. Default 5 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many times a call that failed transiently (429, 412, 5xx, a timeout, a refused connection) is tried again,
    /// 0 to 10. Default 3.
    /// </summary>
    public int RetryAttempts { get; set; } = 3;

    /// <summary>
    /// The first retry's delay; each further retry doubles it, with jitter (capped at 30 s). Default 200 ms.
    /// </summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);
}
