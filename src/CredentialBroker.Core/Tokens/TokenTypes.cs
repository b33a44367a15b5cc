namespace CredentialBroker.Core.Tokens;

/// <summary>The <c>typ</c> header of each token kind the broker signs. Kinds never stand in for one another (RFC 8725 §3.11).</summary>
public static class TokenTypes
{
    /// <summary>A task token or delegated task token.</summary>
    public const string Task = "task+jwt";

    /// <summary>A downstream access token (RFC 9068).</summary>
    public const string AccessToken = "at+jwt";

    /// <summary>A Transaction Token (draft-ietf-oauth-transaction-tokens-10 §7.1).</summary>
    public const string TxnToken = "txntoken+jwt";
}
