using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Testing;

/// <summary>Builds JWTs byte by byte, including the malformed and malicious ones a broker must reject.</summary>
public static class JwtForge
{
    /// <summary>base64url of UTF-8 text.</summary>
    public static string B64(string text) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(text));

    /// <summary>A JWS over the exact header and payload JSON given, signed ES256 (IEEE P1363) with <paramref name="key"/>.</summary>
    public static string Es256(string headerJson, string payloadJson, ECDsa key)
    {
        var signingInput = B64(headerJson) + "." + B64(payloadJson);
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return signingInput + "." + Base64UrlEncoder.Encode(signature);
    }

    /// <summary>A JWS signed with HMAC-SHA256 under <paramref name="secret"/> (for key-confusion attacks).</summary>
    public static string Hs256(string headerJson, string payloadJson, byte[] secret)
    {
        var signingInput = B64(headerJson) + "." + B64(payloadJson);
        var signature = HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64UrlEncoder.Encode(signature);
    }

    /// <summary>A token with an arbitrary signature segment.</summary>
    public static string WithSignature(string headerJson, string payloadJson, string signatureSegment) =>
        B64(headerJson) + "." + B64(payloadJson) + "." + signatureSegment;

    /// <summary>Flips one bit of the signature.</summary>
    public static string FlipSignatureBit(string token)
    {
        var parts = token.Split('.');
        var signature = Base64UrlEncoder.DecodeBytes(parts[2]);
        signature[^1] ^= 1;
        return $"{parts[0]}.{parts[1]}.{Base64UrlEncoder.Encode(signature)}";
    }

    /// <summary>Replaces the payload, keeping the old signature.</summary>
    public static string ReplacePayload(string token, string payloadJson)
    {
        var parts = token.Split('.');
        return $"{parts[0]}.{B64(payloadJson)}.{parts[2]}";
    }
}
