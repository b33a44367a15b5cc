using CredentialBroker.Abstractions;
using CredentialBroker.Core.ProofOfPossession;
using CredentialBroker.Server.Identity;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.OAuth;

/// <summary>
/// The <c>DPoP</c> header of an OAuth request (RFC 9449): validated against the URI the broker publishes for the endpoint
/// (its issuer and the path), so a proof made for this broker's token endpoint is good nowhere else. Refusals speak
/// RFC 9449's errors: <c>invalid_dpop_proof</c>, or <c>use_dpop_nonce</c> with a fresh <c>DPoP-Nonce</c>.
/// </summary>
internal static class DpopHeader
{
    public const string Name = "DPoP";
    public const string NonceHeader = "DPoP-Nonce";

    /// <summary>The request's proof: none when it sent no <c>DPoP</c> header, otherwise the valid proof or the error to answer.</summary>
    /// <param name="http">The request.</param>
    /// <param name="presentedToken">The token the proof accompanies, for <c>ath</c>.</param>
    public static async ValueTask<(DpopProof? Proof, IResult? Error)> ReadAsync(HttpContext http, string? presentedToken)
    {
        var values = http.Request.Headers[Name];
        if (values.Count == 0)
        {
            return (null, null);
        }

        var services = http.RequestServices;
        var issuer = services.GetRequiredService<IOptions<CredentialBrokerOptions>>().Value.Issuer!;
        var result = await services.GetRequiredService<DpopProofValidator>().ValidateAsync(
            [.. values], http.Request.Method, issuer + http.Request.Path.Value, presentedToken, http.Caller().Id.Value, http.RequestAborted);
        if (result.IsValid)
        {
            return (result.Proof, null);
        }

        switch (result.Failure)
        {
            case DpopFailure.NonceRequired:
                http.Response.Headers[NonceHeader] = await services.GetRequiredService<DpopNonces>().CurrentAsync(http.RequestAborted);
                return (null, OAuthErrors.Error(StatusCodes.Status400BadRequest, "use_dpop_nonce", ErrorCodes.DpopNonceRequired, result.Description!));
            case DpopFailure.Replayed:
                return (null, InvalidProof(ErrorCodes.DpopProofReplayed, result.Description!));
            default:
                return (null, InvalidProof(ErrorCodes.DpopProofInvalid, result.Description!));
        }
    }

    /// <summary>Hands out the current nonce on a successful answer when nonces are required, so the client's next proof has one.</summary>
    public static async ValueTask OfferNonceAsync(HttpContext http)
    {
        var services = http.RequestServices;
        if (services.GetRequiredService<IOptions<CredentialBrokerOptions>>().Value.Dpop.RequireNonce)
        {
            http.Response.Headers[NonceHeader] = await services.GetRequiredService<DpopNonces>().CurrentAsync(http.RequestAborted);
        }
    }

    public static IResult InvalidProof(string code, string description) =>
        OAuthErrors.Error(StatusCodes.Status400BadRequest, "invalid_dpop_proof", code, description);
}
