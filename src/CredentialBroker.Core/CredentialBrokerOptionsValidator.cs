using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tokens;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Core;

/// <summary>Validates <see cref="CredentialBrokerOptions"/> at start and reports every problem at once.</summary>
internal sealed class CredentialBrokerOptionsValidator : IValidateOptions<CredentialBrokerOptions>
{
    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromSeconds(30);

    public ValidateOptionsResult Validate(string? name, CredentialBrokerOptions options)
    {
        var failures = new List<string>();
        const string s = CredentialBrokerOptions.SectionName;

        if (string.IsNullOrWhiteSpace(options.Issuer))
        {
            failures.Add($"{s}:Issuer is required: the broker's issuer URL, for example https://broker.corp.example.");
        }
        else if (!Uri.TryCreate(options.Issuer, UriKind.Absolute, out var issuer)
            || issuer.Scheme is not ("https" or "http")
            || !string.IsNullOrEmpty(issuer.Query) || !string.IsNullOrEmpty(issuer.Fragment) || !string.IsNullOrEmpty(issuer.UserInfo)
            || options.Issuer.EndsWith('/'))
        {
            failures.Add($"{s}:Issuer '{options.Issuer}' must be an absolute http(s) URL without user info, query, fragment or trailing slash.");
        }

        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > MaxClockSkew)
        {
            failures.Add($"{s}:ClockSkew is {options.ClockSkew}; it must lie between 0 and 30 seconds (RFC 8725 small skew).");
        }

        if (options.MinTaskTtl <= TimeSpan.Zero)
        {
            failures.Add($"{s}:MinTaskTtl must be positive.");
        }

        if (options.MaxTaskTtl < options.MinTaskTtl)
        {
            failures.Add($"{s}:MaxTaskTtl ({options.MaxTaskTtl}) is shorter than MinTaskTtl ({options.MinTaskTtl}).");
        }

        if (options.MaxAccessTokenTtl <= TimeSpan.Zero)
        {
            failures.Add($"{s}:MaxAccessTokenTtl must be positive.");
        }

        foreach (var (serverName, server) in options.ResourceServers)
        {
            if (!SpiffeIdPattern.TryParse(server.Id, out _, out var error))
            {
                failures.Add($"{s}:ResourceServers:{serverName}:Id is required: a SPIFFE ID or a prefix ending in '/' ({error}).");
            }

            if (server.Resources.Count == 0 || server.Resources.Any(string.IsNullOrWhiteSpace))
            {
                failures.Add($"{s}:ResourceServers:{serverName}:Resources must list the resources (access token audiences) it serves.");
            }
        }

        if (options.TrustBundleRefreshInterval < TimeSpan.FromSeconds(1) || options.TrustBundleRefreshInterval > TimeSpan.FromHours(1))
        {
            failures.Add($"{s}:TrustBundleRefreshInterval must lie between 1 second and 1 hour.");
        }

        if (options.KeyScheduleCheckInterval <= TimeSpan.Zero || options.KeyScheduleCheckInterval > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{s}:KeyScheduleCheckInterval must be above zero and at most 10 minutes.");
        }

        if (options.SecretIssueTimeout < TimeSpan.FromSeconds(1) || options.SecretIssueTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{s}:SecretIssueTimeout must lie between 1 second and 10 minutes.");
        }

        if (options.MaxCredentialsPerTask is < 1 or > 10_000)
        {
            failures.Add($"{s}:MaxCredentialsPerTask is {options.MaxCredentialsPerTask}; it must lie between 1 and 10000 (revoking a task touches every credential it holds in one step).");
        }

        if (options.MaxDelegationDepth is < 0 or > 32)
        {
            failures.Add($"{s}:MaxDelegationDepth is {options.MaxDelegationDepth}; it must lie between 0 and 32.");
        }

        if (options.MaxTokenLength is < 512 or > 65536)
        {
            failures.Add($"{s}:MaxTokenLength is {options.MaxTokenLength}; it must lie between 512 and 65536.");
        }

        if (options.MaxCallerCredentialLifetime <= TimeSpan.Zero)
        {
            failures.Add($"{s}:MaxCallerCredentialLifetime must be positive.");
        }

        if (options.KeyPublishLead < TimeSpan.Zero)
        {
            failures.Add($"{s}:KeyPublishLead must not be negative.");
        }

        if (options.IdempotencyKeyLifetime <= TimeSpan.Zero)
        {
            failures.Add($"{s}:IdempotencyKeyLifetime must be positive.");
        }

        if (options.RecordRetention < TimeSpan.Zero)
        {
            failures.Add($"{s}:RecordRetention must not be negative.");
        }

        if (options.StatusListTimeToLive < TimeSpan.FromSeconds(1) || options.StatusListTimeToLive > TimeSpan.FromHours(1))
        {
            failures.Add($"{s}:StatusListTimeToLive is {options.StatusListTimeToLive}; it must lie between 1 second and 1 hour.");
        }

        if (options.StatusListLifetime < options.StatusListTimeToLive || options.StatusListLifetime > TimeSpan.FromHours(24))
        {
            failures.Add($"{s}:StatusListLifetime is {options.StatusListLifetime}; it must lie between StatusListTimeToLive and 24 hours.");
        }

        foreach (var algorithm in options.AllowedAlgorithms)
        {
            if (!KeyAlgorithms.Supported.Contains(algorithm))
            {
                failures.Add($"{s}:AllowedAlgorithms holds '{algorithm}'; supported: {string.Join(", ", KeyAlgorithms.Supported)}.");
            }
        }

        ValidateDpop(failures, options.Dpop);
        ValidateTransactionTokens(failures, options.TransactionTokens);
        ValidateAudit(failures, options.Audit);
        ValidatePatterns(failures, "Orchestrator", options.Roles.Orchestrator);
        ValidatePatterns(failures, "Agent", options.Roles.Agent);
        ValidatePatterns(failures, "Soc", options.Roles.Soc);
        ValidatePatterns(failures, "ResourceServer", options.Roles.ResourceServer);
        ValidatePatterns(failures, "Operator", options.Roles.Operator);

        foreach (var (trustDomain, path) in options.TrustBundles)
        {
            if (!SpiffeId.IsValidTrustDomain(trustDomain, out var error))
            {
                failures.Add($"{s}:TrustBundles:{trustDomain} is not a trust domain name: {error}.");
            }

            if (string.IsNullOrWhiteSpace(path))
            {
                failures.Add($"{s}:TrustBundles:{trustDomain} needs the path of the bundle's JWKS file.");
            }
        }

        foreach (var (trustDomain, path) in options.X509Bundles)
        {
            if (!SpiffeId.IsValidTrustDomain(trustDomain, out var error))
            {
                failures.Add($"{s}:X509Bundles:{trustDomain} is not a trust domain name: {error}.");
            }

            if (string.IsNullOrWhiteSpace(path))
            {
                failures.Add($"{s}:X509Bundles:{trustDomain} needs the path of a PEM file with the domain's X.509 authorities.");
            }
        }

        for (var i = 0; i < options.SigningKeys.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.SigningKeys[i].Path))
            {
                failures.Add($"{s}:SigningKeys:{i}:Path is required (a PEM or JWK file with a P-256 private key).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateDpop(List<string> failures, DpopOptions dpop)
    {
        const string s = CredentialBrokerOptions.SectionName + ":Dpop";
        foreach (var algorithm in dpop.Algorithms)
        {
            if (!KeyAlgorithms.Supported.Contains(algorithm))
            {
                failures.Add($"{s}:Algorithms holds '{algorithm}'; only asymmetric algorithms are allowed: {string.Join(", ", KeyAlgorithms.Supported)}.");
            }
        }

        if (dpop.MaxProofAge < TimeSpan.FromSeconds(5) || dpop.MaxProofAge > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{s}:MaxProofAge is {dpop.MaxProofAge}; it must lie between 5 seconds and 5 minutes (a proof is fresh, and its jti is remembered that long).");
        }

        if (dpop.ClockSkew < TimeSpan.Zero || dpop.ClockSkew > MaxClockSkew)
        {
            failures.Add($"{s}:ClockSkew is {dpop.ClockSkew}; it must lie between 0 and 30 seconds.");
        }

        if (dpop.NonceLifetime < TimeSpan.FromSeconds(10) || dpop.NonceLifetime > TimeSpan.FromHours(1))
        {
            failures.Add($"{s}:NonceLifetime is {dpop.NonceLifetime}; it must lie between 10 seconds and 1 hour.");
        }
    }

    private static void ValidateTransactionTokens(List<string> failures, TransactionTokenOptions transactionTokens)
    {
        const string s = CredentialBrokerOptions.SectionName + ":TransactionTokens";
        if (transactionTokens.TrustDomain is { } trustDomain && (trustDomain.Length == 0 || trustDomain.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
        {
            failures.Add($"{s}:TrustDomain must be a trust domain name without spaces or control characters (or unset, for the issuer).");
        }

        if (transactionTokens.MaxTtl <= TimeSpan.Zero || transactionTokens.MaxTtl > TransactionTokenOptions.MaxTtlLimit)
        {
            failures.Add($"{s}:MaxTtl is {transactionTokens.MaxTtl}; it must be positive and at most {TransactionTokenOptions.MaxTtlLimit.TotalMinutes} minutes (transaction tokens are short-lived).");
        }
    }

    private static void ValidatePatterns(List<string> failures, string role, IList<string> patterns)
    {
        foreach (var pattern in patterns)
        {
            if (!SpiffeIdPattern.TryParse(pattern, out _, out var error))
            {
                failures.Add($"{CredentialBrokerOptions.SectionName}:Roles:{role} pattern '{pattern}' is invalid: {error}.");
            }
        }
    }

    private static void ValidateAudit(List<string> failures, Abstractions.Audit.AuditOptions audit)
    {
        const string s = "CredentialBroker:Audit";
        if (audit.CheckpointInterval < TimeSpan.FromSeconds(1) || audit.CheckpointInterval > TimeSpan.FromDays(1))
        {
            failures.Add($"{s}:CheckpointInterval is {audit.CheckpointInterval}; it must lie between 00:00:01 and 1.00:00:00.");
        }

        if (audit.CheckpointEvents is < 1 or > 1_000_000)
        {
            failures.Add($"{s}:CheckpointEvents is {audit.CheckpointEvents}; it must lie between 1 and 1000000.");
        }

        if (audit.Retention < TimeSpan.FromHours(1))
        {
            failures.Add($"{s}:Retention is {audit.Retention}; it must be at least 01:00:00.");
        }

        if (audit.MaxCheckpoints < 1)
        {
            failures.Add($"{s}:MaxCheckpoints is {audit.MaxCheckpoints}; it must be at least 1.");
        }
    }
}
