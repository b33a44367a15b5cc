using System.Globalization;
using System.Text;

namespace CredentialBroker.Downstream.Vault;

/// <summary>A Vault token the client logged in with, and how long Vault says it lasts.</summary>
/// <param name="ClientToken">The token (never printed: <see cref="ToString"/> leaves it out).</param>
/// <param name="LeaseDuration">The token's TTL; <see cref="TimeSpan.Zero"/> for a token that does not expire.</param>
/// <param name="Renewable">Whether <c>renew-self</c> can extend it.</param>
internal sealed record VaultLogin(string ClientToken, TimeSpan LeaseDuration, bool Renewable)
{
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"LeaseDuration = {LeaseDuration}, Renewable = {Renewable}");
        return true;
    }
}

/// <summary>A leased secret read from <c>&lt;mount&gt;/creds/&lt;role&gt;</c>.</summary>
/// <param name="LeaseId">The lease to revoke it by (empty if the mount does not lease what it returns).</param>
/// <param name="LeaseDuration">How long Vault keeps the lease before revoking it itself.</param>
/// <param name="Renewable">Whether Vault would renew the lease (the broker never does).</param>
/// <param name="Data">The secret's members as strings (never printed: <see cref="ToString"/> lists only their names).</param>
internal sealed record VaultCredentials(string LeaseId, TimeSpan LeaseDuration, bool Renewable, IReadOnlyDictionary<string, string> Data)
{
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"LeaseId = {LeaseId}, LeaseDuration = {LeaseDuration}, Renewable = {Renewable}, Data = [{string.Join(", ", Data.Keys)}]");
        return true;
    }
}

/// <summary>
/// What <c>sys/leases/lookup</c> says of a lease: it exists (with its expiry), or Vault does not know it — revoked, expired
/// or never issued, which Vault answers with 400 <c>invalid lease</c>.
/// </summary>
/// <param name="Exists">Whether Vault still holds the lease.</param>
/// <param name="ExpireTime">When Vault will revoke it, if it says.</param>
/// <param name="Ttl">Its remaining time to live, as Vault counts it.</param>
internal sealed record VaultLeaseLookup(bool Exists, DateTimeOffset? ExpireTime, TimeSpan Ttl)
{
    /// <summary>Vault does not know the lease.</summary>
    public static VaultLeaseLookup NotFound { get; } = new(false, null, TimeSpan.Zero);
}
