using CredentialBroker.Abstractions.Storage;

namespace CredentialBroker.Abstractions.Soc;

/// <summary>
/// The SOC's bulk revocations in force, as issuance, exchange and introspection consult them on every request without a
/// store round trip: a young revocation is a rule that makes what it selects (and everything derived from it) inactive
/// before its fan-out reaches the records, and a quarantining one refuses its workloads new authority.
/// </summary>
public interface IRevocationRules
{
    /// <summary>
    /// The revocation whose rule makes the credential of <paramref name="lookup"/> inactive at <paramref name="now"/>:
    /// one that selects the credential or any of its ancestors, issued no later than its request. Otherwise <see langword="null"/>.
    /// </summary>
    BulkRevocation? RevokedBy(CredentialLookup lookup, DateTimeOffset now);

    /// <summary>The first revocation that quarantines any of <paramref name="workloads"/>, or <see langword="null"/>.</summary>
    BulkRevocation? QuarantineOfAny(IEnumerable<string> workloads);
}
