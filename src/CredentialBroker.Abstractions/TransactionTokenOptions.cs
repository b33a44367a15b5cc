namespace CredentialBroker.Abstractions;

/// <summary>
/// Transaction Tokens (draft-ietf-oauth-transaction-tokens-10), bound from <c>CredentialBroker:TransactionTokens</c>: the
/// trust domain they are valid in (their <c>aud</c>) and how long one may live.
/// </summary>
public sealed class TransactionTokenOptions
{
    /// <summary>The longest <see cref="MaxTtl"/> accepted: the draft wants lifetimes "on the order of minutes or less".</summary>
    public static readonly TimeSpan MaxTtlLimit = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The trust domain a transaction token is valid in: its <c>aud</c>, and the <c>audience</c> a request for one must
    /// name. Default <see langword="null"/>: the broker's <see cref="CredentialBrokerOptions.Issuer"/>.
    /// </summary>
    public string? TrustDomain { get; set; }

    /// <summary>
    /// The longest lifetime of a transaction token; it never outlives the credential it was exchanged from either.
    /// Default 2 min; more than 0 and at most 10 min.
    /// </summary>
    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromMinutes(2);
}
