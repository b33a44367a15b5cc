using System.Text.Json;
using System.Text.Json.Serialization;

namespace CredentialBroker.Downstream.Vault;

// The request and response bodies of the Vault endpoints the broker calls, as Vault's HTTP API documentation shows
// them (website/content/api-docs/...). Only the members the broker reads are declared: a response's other members
// (a lookup-self's "id", which is the token itself, among them) are never materialised.

/// <summary><c>POST /v1/auth/&lt;mount&gt;/login</c> (api-docs/auth/approle, "Login with AppRole").</summary>
internal sealed record VaultAppRoleLoginRequest(string RoleId, string SecretId)
{
    // A record prints its members; this one holds a secret id, so it prints none.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Replaces the record's generated PrintMembers, which must be an instance method.")]
    private bool PrintMembers(System.Text.StringBuilder builder) => false;
}

/// <summary>
/// <c>POST /v1/auth/token/renew-self</c> with no increment: Vault renews by the token's own period
/// (api-docs/auth/token, "Renew a Token (Self)").
/// </summary>
internal sealed record VaultRenewSelfRequest;

/// <summary><c>PUT /v1/sys/leases/lookup</c> (api-docs/system/leases, "Read lease").</summary>
internal sealed record VaultLeaseLookupRequest(string LeaseId);

/// <summary>
/// <c>PUT /v1/sys/leases/revoke</c> (api-docs/system/leases, "Revoke lease"). <c>sync</c> is sent explicitly: the page
/// says revocation is queued unless <c>sync=true</c>, and the broker verifies right after revoking.
/// </summary>
internal sealed record VaultLeaseRevokeRequest(string LeaseId, bool Sync);

/// <summary>Every Vault answer: <c>auth</c> for logins and renewals, <c>data</c> and the lease members for secrets.</summary>
internal sealed class VaultAuthResponse
{
    public VaultAuthBlock? Auth { get; set; }
}

/// <summary>The <c>auth</c> block of a login or renewal.</summary>
internal sealed class VaultAuthBlock
{
    public string? ClientToken { get; set; }

    public long LeaseDuration { get; set; }

    public bool Renewable { get; set; }
}

/// <summary><c>GET /v1/auth/token/lookup-self</c>: only the TTL and renewability are read.</summary>
internal sealed class VaultTokenLookupResponse
{
    public VaultTokenLookupData? Data { get; set; }
}

/// <summary>The <c>data</c> of a token lookup.</summary>
internal sealed class VaultTokenLookupData
{
    public long Ttl { get; set; }

    public bool Renewable { get; set; }
}

/// <summary><c>GET /v1/&lt;mount&gt;/creds/&lt;role&gt;</c>: a leased secret.</summary>
internal sealed class VaultSecretResponse
{
    public string? LeaseId { get; set; }

    public long LeaseDuration { get; set; }

    public bool Renewable { get; set; }

    public Dictionary<string, JsonElement>? Data { get; set; }
}

/// <summary>
/// <c>PUT /v1/sys/leases/lookup</c>. Vault wraps a logical response's data in <c>data</c>; the documentation's sample
/// shows the members at the top level. Both are read.
/// </summary>
internal sealed class VaultLeaseLookupResponse
{
    public VaultLeaseLookupData? Data { get; set; }

    public string? Id { get; set; }

    public string? ExpireTime { get; set; }

    public long? Ttl { get; set; }
}

/// <summary>The lease's metadata.</summary>
internal sealed class VaultLeaseLookupData
{
    public string? Id { get; set; }

    public string? ExpireTime { get; set; }

    public long? Ttl { get; set; }
}

/// <summary>Vault's error format for any status of 400 and above (api-docs/index, "Error response").</summary>
internal sealed class VaultErrorResponse
{
    public List<string>? Errors { get; set; }
}

/// <summary>Source-generated JSON for every Vault request and response shape: no reflection-based serialisation.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(VaultAppRoleLoginRequest))]
[JsonSerializable(typeof(VaultRenewSelfRequest))]
[JsonSerializable(typeof(VaultLeaseLookupRequest))]
[JsonSerializable(typeof(VaultLeaseRevokeRequest))]
[JsonSerializable(typeof(VaultAuthResponse))]
[JsonSerializable(typeof(VaultTokenLookupResponse))]
[JsonSerializable(typeof(VaultSecretResponse))]
[JsonSerializable(typeof(VaultLeaseLookupResponse))]
[JsonSerializable(typeof(VaultErrorResponse))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class VaultJsonContext : JsonSerializerContext;
