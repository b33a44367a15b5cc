namespace CredentialBroker.Server.Hosting;

/// <summary>
/// Development mode: on when no store is configured (no <c>ConnectionStrings:Redis</c>). The broker then runs on
/// its embedded in-memory store with an ephemeral signing key, and trusts a dev trust domain whose JWT-SVIDs it
/// writes to a file for you. Bound from <c>CredentialBroker:Dev</c>.
/// </summary>
public sealed class DevModeOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "CredentialBroker:Dev";

    /// <summary>The dev trust domain.</summary>
    public const string TrustDomain = "dev.local";

    /// <summary>
    /// Where the dev JWT-SVIDs are written (also <c>--dev-credentials-file PATH</c>). Default
    /// <c>$TMPDIR/credentialbroker/dev-credentials.json</c>, that is <c>/tmp/credentialbroker/dev-credentials.json</c> on Linux.
    /// </summary>
    public string? CredentialsFile { get; set; }

    /// <summary>Allow dev mode in the Production environment (single-node trials only). Default <see langword="false"/>: the broker refuses to start.</summary>
    public bool AllowInProduction { get; set; }

    /// <summary>The credentials file in force.</summary>
    public string EffectiveCredentialsFile =>
        string.IsNullOrWhiteSpace(CredentialsFile) ? Path.Combine(Path.GetTempPath(), "credentialbroker", "dev-credentials.json") : CredentialsFile;
}
