namespace CredentialBroker.Downstream.Providers;

/// <summary>vault: <c>…:Vault:Auth</c>: a token, or an AppRole login.</summary>
public sealed class VaultAuthOptions
{
    /// <summary><c>token</c> or <c>approle</c>. Default <c>token</c>.</summary>
    public string Method { get; set; } = "token";

    /// <summary>token: the Vault token. Prefer <c>TokenFile</c> in production.</summary>
    public string? Token { get; set; }

    /// <summary>token: a file holding the Vault token (read at each login, so a rotated file is picked up).</summary>
    public string? TokenFile { get; set; }

    /// <summary>approle: the AppRole auth mount. Default <c>approle</c>.</summary>
    public string Mount { get; set; } = "approle";

    /// <summary>approle: the role id.</summary>
    public string? RoleId { get; set; }

    /// <summary>approle: the secret id. Prefer <c>SecretIdFile</c> in production.</summary>
    public string? SecretId { get; set; }

    /// <summary>approle: a file holding the secret id.</summary>
    public string? SecretIdFile { get; set; }
}
