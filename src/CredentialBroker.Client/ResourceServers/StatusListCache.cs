using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Client.ResourceServers;

/// <summary>
/// The broker's Token Status Lists as one resource server sees them (draft-ietf-oauth-status-list-20 §8): each list
/// fetched from a URI under the broker's issuer only (a token cannot send this server elsewhere), verified as a
/// <c>statuslist+jwt</c> signed by a key of the broker's JWKS with <c>sub</c> equal to its URI, and kept for its <c>ttl</c>.
/// A list that cannot be fetched again is used until its <c>exp</c>; after that, nothing is known and tokens are refused.
/// </summary>
internal sealed partial class StatusListCache(
    string scheme,
    IOptionsMonitor<BrokerTokenOptions> options,
    IOptionsMonitor<JwtBearerOptions> jwtOptions,
    IHttpClientFactory http,
    TimeProvider time,
    ILogger<StatusListCache> logger)
{
    public const string TokenType = "statuslist+jwt";

    // 2^20 entries of one bit is what the broker serves; a list is refused if it inflates past eight times that.
    private const int MaxListBytes = 1 << 20;
    private const int MaxTokenLength = 1 << 20;
    private static readonly JsonWebTokenHandler Handler = new() { MaximumTokenSizeInBytes = MaxTokenLength };
    private readonly ConcurrentDictionary<string, List> _lists = new(StringComparer.Ordinal);

    /// <summary>The status of <paramref name="index"/> in the list at <paramref name="uri"/>: 0 valid, 1 revoked, <see langword="null"/> when it cannot be told.</summary>
    public async Task<int?> StatusAsync(string uri, int index, CancellationToken cancellationToken)
    {
        var settings = options.Get(scheme);
        if (!uri.StartsWith(settings.Issuer!.TrimEnd('/') + "/", StringComparison.Ordinal) || !Uri.TryCreate(uri, UriKind.Absolute, out var address))
        {
            LogForeignList(logger, scheme, uri);
            return null;
        }

        var now = time.GetUtcNow();
        _lists.TryGetValue(uri, out var list);
        if (list is null || now >= list.FreshUntil)
        {
            if (await FetchAsync(uri, address, settings, now, cancellationToken).ConfigureAwait(false) is { } fetched)
            {
                _lists[uri] = list = fetched;
            }
            else if (list is not null && now >= list.ExpiresAt)
            {
                list = null;
            }
        }

        return list is null || index < 0 || index / 8 >= list.Bits.Length ? null : (list.Bits[index / 8] >> (index % 8)) & 1;
    }

    private async Task<List?> FetchAsync(string uri, Uri address, BrokerTokenOptions settings, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, address);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/statuslist+jwt"));
            using var client = http.CreateClient(BrokerAuthenticationExtensions.HttpClientName);
            using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                LogListRefused(logger, scheme, uri, (int)response.StatusCode);
                return null;
            }

            var jwt = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var metadata = await jwtOptions.Get(scheme).ConfigurationManager!.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
            var result = await Handler.ValidateTokenAsync(jwt, new TokenValidationParameters
            {
                ValidIssuer = settings.Issuer,
                ValidateAudience = false,
                ValidTypes = [TokenType],
                ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
                IssuerSigningKeys = metadata.SigningKeys,
                TryAllIssuerSigningKeys = false,
                RequireSignedTokens = true,
                // exp is checked below against this server's clock.
                ValidateLifetime = false,
                RequireExpirationTime = true,
            }).ConfigureAwait(false);
            if (!result.IsValid || result.SecurityToken is not JsonWebToken token)
            {
                LogListInvalid(logger, scheme, uri, result.Exception?.Message ?? "not a JWT");
                return null;
            }

            return Read(token, uri, now, settings.ClockSkew);
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogListFailed(logger, ex, scheme, uri);
            return null;
        }
    }

    private List? Read(JsonWebToken token, string uri, DateTimeOffset now, TimeSpan clockSkew)
    {
        var expiresAt = new DateTimeOffset(token.ValidTo, TimeSpan.Zero) + clockSkew;
        if (!string.Equals(token.Subject, uri, StringComparison.Ordinal) || now >= expiresAt
            || !token.TryGetPayloadValue<JsonElement>("status_list", out var statusList) || statusList.ValueKind != JsonValueKind.Object
            || !statusList.TryGetProperty("bits", out var bits) || bits.ValueKind != JsonValueKind.Number || bits.GetInt32() != 1
            || !statusList.TryGetProperty("lst", out var lst) || lst.ValueKind != JsonValueKind.String)
        {
            LogListInvalid(logger, scheme, uri, "its sub, exp or status_list is not what the draft requires (bits must be 1)");
            return null;
        }

        // Without a ttl the list is fetched again for every token checked.
        var ttl = token.TryGetPayloadValue<long>("ttl", out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : TimeSpan.Zero;
        try
        {
            return new List(Inflate(Base64UrlEncoder.DecodeBytes(lst.GetString()!)), Min(now + ttl, expiresAt), expiresAt);
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException)
        {
            LogListInvalid(logger, scheme, uri, ex.Message);
            return null;
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static byte[] Inflate(byte[] compressed)
    {
        using var zlib = new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = zlib.Read(buffer)) > 0)
        {
            if (output.Length + read > MaxListBytes)
            {
                throw new InvalidDataException($"The list inflates to more than {MaxListBytes} bytes.");
            }

            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }

    private sealed record List(byte[] Bits, DateTimeOffset FreshUntil, DateTimeOffset ExpiresAt);

    [LoggerMessage(EventId = 3020, EventName = "StatusListForeign", Level = LogLevel.Warning,
        Message = "Scheme {Scheme} refused a token whose status list {Uri} is not under the broker's issuer")]
    private static partial void LogForeignList(ILogger logger, string scheme, string uri);

    [LoggerMessage(EventId = 3021, EventName = "StatusListRefused", Level = LogLevel.Warning,
        Message = "The broker answered {Status} for status list {Uri} (scheme {Scheme}); tokens naming it are refused once its copy expires")]
    private static partial void LogListRefused(ILogger logger, string scheme, string uri, int status);

    [LoggerMessage(EventId = 3022, EventName = "StatusListInvalid", Level = LogLevel.Warning,
        Message = "Status list {Uri} for scheme {Scheme} was refused: {Reason}")]
    private static partial void LogListInvalid(ILogger logger, string scheme, string uri, string reason);

    [LoggerMessage(EventId = 3023, EventName = "StatusListFailed", Level = LogLevel.Warning,
        Message = "Fetching status list {Uri} for scheme {Scheme} failed; tokens naming it are refused once its copy expires")]
    private static partial void LogListFailed(ILogger logger, Exception exception, string scheme, string uri);
}
