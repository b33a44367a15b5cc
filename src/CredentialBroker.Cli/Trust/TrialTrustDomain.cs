using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tokens;

namespace CredentialBroker.Cli.Trust;

/// <summary>
/// A trust domain for trials: an X.509 authority and a JWT-SVID signing key that play SPIRE. JWT-SVIDs are minted by the
/// broker's own <see cref="JwtSvidMinter"/> and the JWT bundle is its bundle document, so what brokerctl writes is by
/// construction what the broker accepts. Not for production: the keys are plain files and nothing rotates them.
/// </summary>
internal sealed class TrialTrustDomain : IDisposable
{
    /// <summary>How long the trial authority is valid.</summary>
    public static readonly TimeSpan AuthorityLifetime = TimeSpan.FromDays(365);

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }; // '+', '<' as they are: this is a terminal, not HTML
    private readonly ECDsa _authorityKey;
    private readonly ECDsa _jwtKey;

    private TrialTrustDomain(string name, X509Certificate2 authority, ECDsa authorityKey, ECDsa jwtKey)
    {
        Name = name;
        Authority = authority;
        _authorityKey = authorityKey;
        _jwtKey = jwtKey;
        Minter = new JwtSvidMinter(name, new SigningKey(jwtKey));
    }

    /// <summary>The trust domain name.</summary>
    public string Name { get; }

    /// <summary>The authority's certificate: the X.509 bundle.</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>Mints this domain's JWT-SVIDs.</summary>
    public JwtSvidMinter Minter { get; }

    /// <summary>The JWT bundle: the SPIFFE bundle document of the JWT-SVID key, as the broker's <c>TrustBundles</c> setting loads it.</summary>
    public string JwtBundleJson => JsonNode.Parse(Minter.BundleJson)!.ToJsonString(Indented) + "\n";

    /// <summary>The authority's private key as PKCS#8 PEM.</summary>
    public string AuthorityKeyPem => _authorityKey.ExportPkcs8PrivateKeyPem() + "\n";

    /// <summary>The JWT-SVID signing key as PKCS#8 PEM.</summary>
    public string JwtKeyPem => _jwtKey.ExportPkcs8PrivateKeyPem() + "\n";

    /// <summary>Creates a trust domain with fresh keys; the authority is valid from a few minutes before <paramref name="now"/> for a year.</summary>
    public static TrialTrustDomain Create(string name, DateTimeOffset now)
    {
        var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"O=CredentialBroker trial, CN={name} trial CA"), authorityKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(UriSan($"spiffe://{name}"));
        using var selfSigned = request.CreateSelfSigned(now.AddMinutes(-5), now + AuthorityLifetime);
        var authority = X509CertificateLoader.LoadCertificate(selfSigned.RawData); // the public certificate, without the key
        return new TrialTrustDomain(name, authority, authorityKey, ECDsa.Create(ECCurve.NamedCurves.nistP256));
    }

    /// <summary>Loads the trust domain <c>trust init</c> wrote to <paramref name="directory"/>; <paramref name="needAuthorityKey"/> for X.509-SVIDs.</summary>
    /// <exception cref="BrokerCliException">The directory does not hold a trial trust domain.</exception>
    public static TrialTrustDomain Load(string directory, bool needAuthorityKey)
    {
        string Read(string file)
        {
            var path = Path.Combine(directory, file);
            try
            {
                return File.ReadAllText(path);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new BrokerCliException(ExitCodes.Usage, $"--dir '{directory}' holds no trust domain from 'brokerctl trust init' ({file} is missing); create one with: brokerctl trust init {directory} --trust-domain NAME");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new BrokerCliException(ExitCodes.Usage, $"cannot read '{path}': {ex.Message}");
            }
        }

        ECDsa Key(string file)
        {
            var key = ECDsa.Create();
            try
            {
                key.ImportFromPem(Read(file));
                return key.KeySize == 256 ? key : throw new BrokerCliException(ExitCodes.Usage, $"'{Path.Combine(directory, file)}' is not a P-256 key.");
            }
            catch (Exception ex) when (ex is ArgumentException or CryptographicException)
            {
                key.Dispose();
                throw new BrokerCliException(ExitCodes.Usage, $"'{Path.Combine(directory, file)}' is not a PEM private key: {ex.Message}");
            }
        }

        X509Certificate2 authority;
        try
        {
            authority = X509Certificate2.CreateFromPem(Read(TrustFiles.CaCertificate));
        }
        catch (CryptographicException ex)
        {
            throw new BrokerCliException(ExitCodes.Usage, $"'{Path.Combine(directory, TrustFiles.CaCertificate)}' is not a PEM certificate: {ex.Message}");
        }

        var name = TrustDomainOf(authority)
            ?? throw new BrokerCliException(ExitCodes.Usage, $"'{Path.Combine(directory, TrustFiles.CaCertificate)}' names no trust domain (no spiffe:// URI SAN); was it written by 'brokerctl trust init'?");
        var authorityKey = needAuthorityKey ? Key(TrustFiles.CaKey) : ECDsa.Create(ECCurve.NamedCurves.nistP256); // a stand-in no one signs with
        return new TrialTrustDomain(name, authority, authorityKey, Key(TrustFiles.JwtSigningKey));
    }

    /// <summary>
    /// Issues an X.509-SVID for <paramref name="id"/>: a leaf (not a CA) with the SPIFFE ID as its one URI SAN, for digital
    /// signatures (TLS client and server), valid for <paramref name="lifetime"/> but never beyond the authority.
    /// </summary>
    public (X509Certificate2 Certificate, ECDsa Key) IssueX509Svid(SpiffeId id, DateTimeOffset now, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(id);
        var notBefore = Max(now.AddMinutes(-1), Authority.NotBefore);
        var notAfter = Min(now + lifetime, Authority.NotAfter);
        if (notAfter <= now)
        {
            throw new BrokerCliException(ExitCodes.Usage, $"the trial authority of {Name} expired at {CommandLine.Times.Display(Authority.NotAfter)}; make a new one with 'brokerctl trust init --force'.");
        }

        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("O=CredentialBroker trial, CN=" + id.Path.TrimStart('/').Replace(',', '_')), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(UriSan(id.Value));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2"), new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        var certificate = request.Create(Authority.SubjectName, X509SignatureGenerator.CreateForECDsa(_authorityKey), notBefore, notAfter, serial);
        return (certificate, key);
    }

    /// <summary>The trust domain an authority certificate names in its <c>spiffe://NAME</c> URI SAN.</summary>
    public static string? TrustDomainOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (certificate.Extensions["2.5.29.17"] is not { } extension)
        {
            return null;
        }

        var uriName = new Asn1Tag(TagClass.ContextSpecific, 6);
        try
        {
            var names = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (names.HasData)
            {
                if (names.PeekTag() != uriName)
                {
                    names.ReadEncodedValue();
                    continue;
                }

                var uri = names.ReadCharacterString(UniversalTagNumber.IA5String, uriName);
                if (uri.StartsWith("spiffe://", StringComparison.Ordinal) && SpiffeId.IsValidTrustDomain(uri.AsSpan("spiffe://".Length), out _))
                {
                    return uri["spiffe://".Length..];
                }
            }
        }
        catch (AsnContentException)
        {
            return null;
        }

        return null;
    }

    /// <summary>
    /// A subject alternative name extension with exactly <paramref name="uri"/> (SubjectAlternativeNameBuilder goes through
    /// System.Uri, which would write <c>spiffe://NAME/</c> for a trust domain's authority; SPIFFE wants no trailing slash).
    /// </summary>
    private static X509Extension UriSan(string uri)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteCharacterString(UniversalTagNumber.IA5String, uri, new Asn1Tag(TagClass.ContextSpecific, 6));
        }

        return new X509Extension("2.5.29.17", writer.Encode(), critical: false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Authority.Dispose();
        _authorityKey.Dispose();
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTime b) => a > new DateTimeOffset(b.ToUniversalTime()) ? a : new DateTimeOffset(b.ToUniversalTime());

    private static DateTimeOffset Min(DateTimeOffset a, DateTime b) => a < new DateTimeOffset(b.ToUniversalTime()) ? a : new DateTimeOffset(b.ToUniversalTime());
}
