using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;

namespace CredentialBroker.Client.ResourceServers;

/// <summary>Ways to learn which workload presents a token.</summary>
public static class PresenterIdentity
{
    private const string SubjectAlternativeNameOid = "2.5.29.17";
    private static readonly Asn1Tag UriName = new(TagClass.ContextSpecific, 6);

    /// <summary>
    /// The SPIFFE ID of the TLS client certificate (an X.509-SVID): its one URI SAN with the <c>spiffe</c> scheme, or
    /// <see langword="null"/> without a client certificate or with anything but exactly one URI SAN. Validating the
    /// certificate chain against the trust bundle is the TLS layer's job (Kestrel's client certificate options).
    /// </summary>
    public static string? FromClientCertificate(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Connection.ClientCertificate is { } certificate ? SpiffeId(certificate) : null;
    }

    /// <summary>The SPIFFE ID in <paramref name="certificate"/>'s URI SAN, or <see langword="null"/> (see <see cref="FromClientCertificate"/>).</summary>
    public static string? SpiffeId(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var extension = certificate.Extensions[SubjectAlternativeNameOid];
        if (extension is null)
        {
            return null;
        }

        try
        {
            var names = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            var uris = new List<string>();
            while (names.HasData)
            {
                if (names.PeekTag() == UriName)
                {
                    uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, UriName));
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }

            // An X.509-SVID has exactly one URI SAN (SPIFFE X509-SVID §2).
            return uris is [var uri] && uri.StartsWith("spiffe://", StringComparison.Ordinal) ? uri : null;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }
}
