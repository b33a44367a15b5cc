using System.Globalization;
using System.Text.Json;
using CredentialBroker.Downstream.Providers;
using Microsoft.Extensions.Logging;

namespace CredentialBroker.Downstream.Vault;

/// <summary>
/// A <c>vault</c> provider: each secret is a fresh lease read from <c>&lt;Mount&gt;/creds/&lt;Role&gt;</c>, revoked through
/// <c>sys/leases/revoke</c> and proven dead when <c>sys/leases/lookup</c> no longer knows it.
/// </summary>
/// <remarks>
/// <para>
/// Vault, not the broker, picks the lease's duration (the role's <c>default_ttl</c>). When it outlives the secret's
/// <see cref="SecretHandle.ExpiresAt"/> the secret is still issued: the broker's revoker revokes every secret at its
/// deadline, lease included, so the lease never outlives the task. Operators should still keep the role's TTL at or
/// below the provider's <see cref="ProviderOptions.MaxTtl"/>, for the case below.
/// </para>
/// <para>
/// A handle without a lease id means nothing was issued, or the issuer stopped (crashed, timed out) before the lease id
/// was recorded. The broker cannot name such a lease, so it cannot revoke it: it expires at the Vault role's TTL. That is
/// why the role's TTL must not exceed MaxTtl, and why <see cref="VerifyRevokedAsync"/> counts such a handle as dead only
/// once that bound has certainly passed.
/// </para>
/// </remarks>
internal sealed partial class VaultSecretProvider : ISecretProvider
{
    private readonly VaultProviderOptions _vault;
    private readonly VaultClient _client;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public VaultSecretProvider(string name, ProviderOptions options, VaultClient client, TimeProvider time, ILogger<VaultSecretProvider> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        Name = name;
        Resource = options.Resource!;
        MaxTtl = options.MaxTtl;
        _vault = options.Vault;
        _client = client;
        _time = time;
        _logger = logger;
    }

    public string Name { get; }

    public string Kind => VaultSecretProviderKind.Name;

    public string Resource { get; }

    public TimeSpan MaxTtl { get; }

    /// <summary>
    /// The longest an <see cref="IssueAsync"/> can take: a login and a credentials read, each tried
    /// <see cref="VaultProviderOptions.RetryAttempts"/> + 1 times with the longest backoff between.
    /// </summary>
    private TimeSpan IssueWindow => 2 * (_vault.RetryAttempts + 1) * (_vault.Timeout + VaultHttp.MaxRetryDelay);

    public SecretHandle Plan(string id, DateTimeOffset expiresAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);

        // Vault names the lease when it creates it: nothing to plan but the record.
        return new SecretHandle(id, Name, Username: null, LeaseId: null, expiresAt);
    }

    public async ValueTask<IssuedSecret> IssueAsync(SecretHandle plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        VaultCredentials credentials;
        try
        {
            credentials = await _client.ReadCredentialsAsync(_vault.Mount!, _vault.Role!, cancellationToken);
        }
        catch (VaultException e)
        {
            throw Downstream("issue", e);
        }

        if (credentials.LeaseId.Length == 0)
        {
            // A mount that does not lease what it returns (kv, static roles) yields nothing the broker could revoke.
            throw new DownstreamException(
                $"Vault returned no lease for {_vault.Mount}/creds/{_vault.Role}: provider '{Name}' needs a secrets engine that leases its credentials (e.g. database).");
        }

        var issued = plan with { LeaseId = credentials.LeaseId };
        var now = _time.GetUtcNow();
        Log.Issued(_logger, Name, plan.Id, credentials.LeaseId, credentials.LeaseDuration);
        if (now + credentials.LeaseDuration > plan.ExpiresAt)
        {
            Log.LeaseOutlivesSecret(_logger, Name, plan.Id, credentials.LeaseId, credentials.LeaseDuration, plan.ExpiresAt);
        }

        var secret = credentials.Data.TryGetValue("password", out var password)
            ? password
            : JsonSerializer.Serialize(new Dictionary<string, string>(credentials.Data, StringComparer.Ordinal), VaultJsonContext.Default.DictionaryStringString);
        var fields = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["leaseId"] = credentials.LeaseId,
            ["leaseDuration"] = (long)credentials.LeaseDuration.TotalSeconds,
            ["data"] = credentials.Data,
        };
        return new IssuedSecret(issued, secret, fields);
    }

    public async ValueTask RevokeAsync(SecretHandle handle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (string.IsNullOrEmpty(handle.LeaseId))
        {
            Log.NoLease(_logger, Name, handle.Id, DeadBy(handle));
            return;
        }

        try
        {
            await _client.RevokeLeaseAsync(handle.LeaseId, cancellationToken);
        }
        catch (VaultException e)
        {
            throw Downstream("revoke", e);
        }

        Log.Revoked(_logger, Name, handle.Id, handle.LeaseId);
    }

    /// <summary>
    /// True when Vault no longer knows the lease. For a handle without a lease id (see the remarks on the class), true only
    /// once <see cref="SecretHandle.ExpiresAt"/> + MaxTtl + the longest issue has passed: by then any lease the issuer
    /// obtained has reached the role's TTL, provided the role's TTL is at most MaxTtl.
    /// </summary>
    /// <exception cref="DownstreamException">Vault could not be asked; nothing is known.</exception>
    public async ValueTask<bool> VerifyRevokedAsync(SecretHandle handle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (string.IsNullOrEmpty(handle.LeaseId))
        {
            return _time.GetUtcNow() >= DeadBy(handle);
        }

        VaultLeaseLookup lease;
        try
        {
            lease = await _client.LookupLeaseAsync(handle.LeaseId, cancellationToken);
        }
        catch (VaultException e)
        {
            throw Downstream("verify", e);
        }

        if (lease.Exists)
        {
            Log.StillLive(_logger, Name, handle.Id, handle.LeaseId, lease.Ttl);
        }

        return !lease.Exists;
    }

    public ProviderDescription Describe()
    {
        var at = string.IsNullOrEmpty(_vault.Namespace) ? _vault.Address : $"{_vault.Address} (namespace {_vault.Namespace})";
        return new ProviderDescription(
            Name,
            Kind,
            Resource,
            Target: $"{at}, {_vault.Mount}/creds/{_vault.Role}",
            Grants: string.Create(CultureInfo.InvariantCulture, $"what Vault role '{_vault.Role}' on mount '{_vault.Mount}' grants, for at most {MaxTtl}"));
    }

    private DateTimeOffset DeadBy(SecretHandle handle) => handle.ExpiresAt + MaxTtl + IssueWindow;

    private DownstreamException Downstream(string operation, VaultException e) =>
        new($"Vault provider '{Name}' could not {operation}: {e.Message}", e) { Transient = e.Transient };

    private static partial class Log
    {
        [LoggerMessage(EventId = 3120, EventName = "VaultLeaseIssued", Level = LogLevel.Information,
            Message = "Provider {Provider} issued secret {Jti} as Vault lease {LeaseId} for {LeaseDuration}")]
        public static partial void Issued(ILogger logger, string provider, string jti, string leaseId, TimeSpan leaseDuration);

        [LoggerMessage(EventId = 3121, EventName = "VaultLeaseOutlivesSecret", Level = LogLevel.Information,
            Message = "Vault lease {LeaseId} of secret {Jti} (provider {Provider}) lasts {LeaseDuration}, beyond the secret's deadline {ExpiresAt}: the revoker revokes it at the deadline")]
        public static partial void LeaseOutlivesSecret(ILogger logger, string provider, string jti, string leaseId, TimeSpan leaseDuration, DateTimeOffset expiresAt);

        [LoggerMessage(EventId = 3122, EventName = "VaultLeaseRevoked", Level = LogLevel.Information,
            Message = "Provider {Provider} revoked Vault lease {LeaseId} of secret {Jti}")]
        public static partial void Revoked(ILogger logger, string provider, string jti, string leaseId);

        [LoggerMessage(EventId = 3123, EventName = "VaultNoLeaseToRevoke", Level = LogLevel.Warning,
            Message = "Secret {Jti} of provider {Provider} has no recorded Vault lease (never issued, or the issuer stopped first): any lease expires at the Vault role's TTL, counted dead from {DeadBy}")]
        public static partial void NoLease(ILogger logger, string provider, string jti, DateTimeOffset deadBy);

        [LoggerMessage(EventId = 3124, EventName = "VaultLeaseStillLive", Level = LogLevel.Debug,
            Message = "Vault still holds lease {LeaseId} of secret {Jti} (provider {Provider}), TTL {Ttl}")]
        public static partial void StillLive(ILogger logger, string provider, string jti, string leaseId, TimeSpan ttl);
    }
}
