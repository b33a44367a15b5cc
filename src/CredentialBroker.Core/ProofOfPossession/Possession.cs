using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Storage;

namespace CredentialBroker.Core.ProofOfPossession;

/// <summary>
/// Whether a request proves possession of the key a credential is bound to: a DPoP proof signed by that key and covering
/// the token (<c>ath</c>) for <c>cnf.jkt</c>, the caller's own X.509-SVID over mutual TLS for <c>cnf.x5t#S256</c>.
/// </summary>
public static class Possession
{
    /// <summary>What is missing, or <see langword="null"/> when the request proves the key (or the credential is bound to none).</summary>
    /// <param name="binding">The credential's binding.</param>
    /// <param name="caller">The authenticated caller (its certificate thumbprint, when it used mutual TLS).</param>
    /// <param name="dpop">The request's validated DPoP proof, if it had one.</param>
    public static PossessionFailure? Check(KeyBinding? binding, CallerIdentity caller, DpopProof? dpop)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return binding switch
        {
            null => null,
            { Kind: KeyBindingKind.Jkt } when dpop is null => PossessionFailure.NoProof,
            { Kind: KeyBindingKind.Jkt } when !string.Equals(dpop.Jkt, binding.Thumbprint, StringComparison.Ordinal) => PossessionFailure.OtherKey,
            { Kind: KeyBindingKind.Jkt } when !dpop.CoversToken => PossessionFailure.TokenNotCovered,
            { Kind: KeyBindingKind.Jkt } => null,
            _ when caller.CertificateThumbprint is null => PossessionFailure.NoProof,
            _ when !string.Equals(caller.CertificateThumbprint, binding.Thumbprint, StringComparison.Ordinal) => PossessionFailure.OtherKey,
            _ => null,
        };
    }

    /// <summary>A description of <paramref name="failure"/> for a credential bound by <paramref name="binding"/>, safe to return.</summary>
    public static string Describe(PossessionFailure failure, KeyBinding binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        return (failure, binding.Kind) switch
        {
            (PossessionFailure.NoProof, KeyBindingKind.Jkt) => "The token is bound to a DPoP key (cnf.jkt); send a DPoP proof signed by that key.",
            (PossessionFailure.NoProof, _) => "The token is bound to a client certificate (cnf.x5t#S256); authenticate with that X.509-SVID over mutual TLS.",
            (PossessionFailure.OtherKey, KeyBindingKind.Jkt) => "The DPoP proof is signed by another key than the token is bound to.",
            (PossessionFailure.OtherKey, _) => "The client certificate is not the one the token is bound to.",
            _ => "The DPoP proof must carry ath, the hash of the key-bound token it is presented with.",
        };
    }
}
