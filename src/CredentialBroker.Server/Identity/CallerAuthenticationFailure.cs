namespace CredentialBroker.Server.Identity;

/// <summary>Why a caller could not be authenticated.</summary>
internal enum CallerAuthenticationFailure
{
    None,
    Missing,
    Invalid,
    Ambiguous,
    BadAssertionType,
    ClientIdMismatch,
    BadCertificate,
}
