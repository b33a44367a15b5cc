using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace CredentialBroker.Client.Svids;

/// <summary>
/// SVIDs from files that a SPIFFE helper rewrites as they rotate (spiffe-helper, or its sidecar beside the SPIFFE CSI
/// driver). Files are read again at most once a second; a new content is parsed, checked (a certificate whose key
/// does not match — a rotation caught half-written — is taken on the next read) and then served. An expired SVID is
/// refused with a message that names the file, rather than sent to be refused by the broker.
/// </summary>
public sealed partial class FileSvidSource : ISvidSource
{
    private static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(1);
    private readonly SvidSourceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private (byte[] Content, JwtSvid Svid, long CheckedAt)? _jwt;
    private (byte[] Certificate, byte[] Key, byte[] Bundle, X509Svid Svid, long CheckedAt)? _x509;

    /// <summary>Creates a source over the files <paramref name="options"/> name.</summary>
    public FileSvidSource(SvidSourceOptions options, TimeProvider time, ILogger<FileSvidSource> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <inheritdoc />
    public ValueTask<JwtSvid> GetJwtSvidAsync(string audience, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(audience);
        var path = _options.EffectiveJwtSvidFile ?? throw new SvidUnavailableException("No JWT-SVID file is configured (Svids:Directory or Svids:JwtSvidFile).");
        var svid = CurrentJwt(path);
        if (!svid.Audience.Contains(audience, StringComparer.Ordinal))
        {
            throw new SvidUnavailableException($"The JWT-SVID in '{path}' is for audience '{string.Join(' ', svid.Audience)}', not '{audience}': configure the SPIFFE helper's JWT audience.");
        }

        return ValueTask.FromResult(svid);
    }

    /// <inheritdoc />
    public ValueTask<X509Svid> GetX509SvidAsync(CancellationToken cancellationToken)
    {
        var certificate = _options.EffectiveCertificateFile;
        var key = _options.EffectiveKeyFile;
        if (certificate is null || key is null)
        {
            throw new SvidUnavailableException("No X.509-SVID files are configured (Svids:Directory, or Svids:CertificateFile and Svids:KeyFile).");
        }

        return ValueTask.FromResult(CurrentX509(certificate, key, _options.EffectiveBundleFile));
    }

    private JwtSvid CurrentJwt(string path)
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            var cached = _jwt;
            if (cached is null || _time.GetElapsedTime(cached.Value.CheckedAt, now) >= RecheckInterval)
            {
                var content = Read(path, "JWT-SVID");
                if (cached is null || !content.AsSpan().SequenceEqual(cached.Value.Content))
                {
                    JwtSvid parsed;
                    try
                    {
                        parsed = JwtSvid.Parse(System.Text.Encoding.ASCII.GetString(content));
                    }
                    catch (FormatException ex)
                    {
                        throw new SvidUnavailableException($"'{path}' does not hold a JWT-SVID: {ex.Message}", ex);
                    }

                    LogJwtSvidRead(_logger, parsed.SpiffeId, path, parsed.ExpiresAt);
                    _jwt = (content, parsed, now);
                }
                else
                {
                    _jwt = cached.Value with { CheckedAt = now };
                }
            }

            var svid = _jwt!.Value.Svid;
            return svid.ExpiresAt > _time.GetUtcNow()
                ? svid
                : throw new SvidUnavailableException($"The JWT-SVID in '{path}' expired at {svid.ExpiresAt:O}: is the SPIFFE helper that renews it running?");
        }
    }

    private X509Svid CurrentX509(string certificatePath, string keyPath, string? bundlePath)
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            var cached = _x509;
            if (cached is null || _time.GetElapsedTime(cached.Value.CheckedAt, now) >= RecheckInterval)
            {
                var certificate = Read(certificatePath, "X.509-SVID");
                var key = Read(keyPath, "X.509-SVID key");
                var bundle = bundlePath is null ? [] : Read(bundlePath, "X.509 bundle");
                if (cached is not { } previous || !certificate.AsSpan().SequenceEqual(previous.Certificate) || !key.AsSpan().SequenceEqual(previous.Key) || !bundle.AsSpan().SequenceEqual(previous.Bundle))
                {
                    var parsed = Parse(certificate, key, bundle, certificatePath, keyPath);
                    LogX509SvidRead(_logger, parsed.SpiffeId, certificatePath, parsed.ExpiresAt);
                    _x509 = (certificate, key, bundle, parsed, now);
                }
                else
                {
                    _x509 = previous with { CheckedAt = now };
                }
            }

            var svid = _x509!.Value.Svid;
            return svid.ExpiresAt > _time.GetUtcNow()
                ? svid
                : throw new SvidUnavailableException($"The X.509-SVID in '{certificatePath}' expired at {svid.ExpiresAt:O}: is the SPIFFE helper that renews it running?");
        }
    }

    private static X509Svid Parse(byte[] certificatePem, byte[] keyPem, byte[] bundlePem, string certificatePath, string keyPath)
    {
        try
        {
            var chain = new X509Certificate2Collection();
            chain.ImportFromPem(System.Text.Encoding.ASCII.GetString(certificatePem));
            if (chain.Count == 0)
            {
                throw new SvidUnavailableException($"'{certificatePath}' holds no certificate.");
            }

            var leaf = X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(certificatePem), System.Text.Encoding.ASCII.GetString(keyPem));
            var intermediates = new X509Certificate2Collection();
            for (var i = 1; i < chain.Count; i++)
            {
                intermediates.Add(chain[i]);
            }

            var bundle = new X509Certificate2Collection();
            if (bundlePem.Length > 0)
            {
                bundle.ImportFromPem(System.Text.Encoding.ASCII.GetString(bundlePem));
            }

            return new X509Svid(leaf, intermediates, bundle);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new SvidUnavailableException($"'{certificatePath}' and '{keyPath}' do not hold a matching X.509-SVID and key ({ex.Message}); if they are being rotated, the next read takes the new pair.", ex);
        }
    }

    private static byte[] Read(string path, string what)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SvidUnavailableException($"Cannot read the {what} file '{path}': {ex.Message}", ex);
        }
    }

    [LoggerMessage(EventId = 3100, EventName = "JwtSvidRead", Level = LogLevel.Information,
        Message = "Read a JWT-SVID for {SpiffeId} from {Path}, valid until {ExpiresAt:O}")]
    private static partial void LogJwtSvidRead(ILogger logger, string spiffeId, string path, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 3101, EventName = "X509SvidRead", Level = LogLevel.Information,
        Message = "Read an X.509-SVID for {SpiffeId} from {Path}, valid until {ExpiresAt:O}")]
    private static partial void LogX509SvidRead(ILogger logger, string spiffeId, string path, DateTimeOffset expiresAt);
}
