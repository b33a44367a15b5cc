using System.Text.Json.Nodes;
using CredentialBroker.Abstractions.Audit;
using System.Text.Json;
using System.Threading.RateLimiting;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Soc;

/// <summary>
/// What the receiver made of an event: accepted (and the revocations it started), refused with an RFC 8935 error code, or
/// put off by its transmitter's rate limit (<see cref="RetryAfter"/> set, the event neither acted on nor remembered).
/// </summary>
public sealed record SsfOutcome(bool Accepted, string? Error, string? Description, IReadOnlyList<string> RevocationIds)
{
    /// <summary>For an event put off by its transmitter's rate limit: how long to wait before sending it again.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Whether the event was put off by its transmitter's rate limit: it may be sent again after <see cref="RetryAfter"/>.</summary>
    public bool Throttled => !Accepted && Error is null;

    internal static SsfOutcome Refused(string error, string description) => new(false, error, description, []);
}

/// <summary>
/// Receives Security Event Tokens (RFC 8417) pushed by configured Shared Signals transmitters (OpenID SSF 1.0,
/// push delivery per RFC 8935). A SET must be <c>typ: secevent+jwt</c>, signed by a key of its issuer's configured
/// JWKS with an allowed algorithm, addressed to the broker, recent, carry a <c>jti</c> never seen before and name
/// its subject by a SPIFFE ID. CAEP <c>session-revoked</c> and <c>credential-change</c> with <c>change_type: revoke</c>
/// revoke every credential of that workload (a bulk revocation); other event types are acknowledged and ignored.
/// Anything else is refused and revokes nothing.
/// </summary>
public sealed partial class SsfReceiver
{
    /// <summary>
    /// The key of the optional keyed <see cref="PartitionedRateLimiter{TResource}"/> (partitioned by transmitter issuer) that
    /// meters how fast a transmitter's events are acted on. It is consulted once an event's signature is verified, so an
    /// event naming a transmitter it does not come from cannot spend that transmitter's budget.
    /// </summary>
    public const string TransmitterRateLimiterKey = "credentialbroker.ssf.transmitter";

    /// <summary>The CAEP session-revoked event type.</summary>
    public const string SessionRevoked = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";

    /// <summary>The CAEP credential-change event type.</summary>
    public const string CredentialChange = "https://schemas.openid.net/secevent/caep/event-type/credential-change";

    private const int MaxLength = 64 * 1024;
    private static readonly string[] SetTypes = ["secevent+jwt"];

    private readonly Lazy<IReadOnlyDictionary<string, (SsfTransmitterOptions Options, JsonWebKeySet Keys)>> _transmitters;
    private readonly SsfOptions _options;
    private readonly CredentialBrokerOptions _broker;
    private readonly ISocStore _soc;
    private readonly IAuditLog _audit;
    private readonly BulkRevocationService _bulk;
    private readonly TimeProvider _time;
    private readonly ILogger<SsfReceiver> _logger;
    private readonly PartitionedRateLimiter<string>? _perTransmitter;

    /// <summary>Creates the receiver; the transmitters' key files are read on first use.</summary>
    public SsfReceiver(
        IOptions<SsfOptions> options,
        IOptions<CredentialBrokerOptions> broker,
        ISocStore soc,
        IAuditLog audit,
        BulkRevocationService bulk,
        [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time,
        ILogger<SsfReceiver> logger,
        [FromKeyedServices(TransmitterRateLimiterKey)] PartitionedRateLimiter<string>? perTransmitter = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(broker);
        _options = options.Value;
        _broker = broker.Value;
        _soc = soc;
        _audit = audit;
        _bulk = bulk;
        _time = time;
        _logger = logger;
        _perTransmitter = perTransmitter;
        _transmitters = new(() => _options.Transmitters.Values
            .Where(t => t.Issuer is not null && t.JwksPath is not null)
            .ToDictionary(t => t.Issuer!, t => (t, new JsonWebKeySet(File.ReadAllText(t.JwksPath!))), StringComparer.Ordinal));
    }

    /// <summary>Validates <paramref name="set"/> and acts on its events.</summary>
    public async ValueTask<SsfOutcome> ReceiveAsync(string? set, CancellationToken cancellationToken)
    {
        var checkedSet = await CheckAsync(set);
        if (checkedSet.Outcome is { } refused)
        {
            LogRefused(_logger, refused.Error!, refused.Description!);
            if (checkedSet.Issuer is not null)
            {
                // Signed by a configured transmitter, so worth a record; forgeries are not (they would let anyone fill the log).
                await AuditAsync(AuditEventTypes.SsfRefused, checkedSet.Issuer, checkedSet.Jti, new JsonObject { ["error"] = refused.Error, ["description"] = refused.Description }, cancellationToken);
            }

            return refused;
        }

        var (issuer, jti, subjects) = (checkedSet.Issuer!, checkedSet.Jti!, checkedSet.Subjects!);
        if (_perTransmitter is not null)
        {
            using var lease = await _perTransmitter.AcquireAsync(issuer, 1, cancellationToken);
            if (!lease.IsAcquired)
            {
                LogRefused(_logger, "rate_limited", $"transmitter {issuer} exceeds its rate limit");
                return new SsfOutcome(false, null, "This transmitter's events exceed its rate limit; send the event again after the Retry-After delay.", [])
                {
                    RetryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1),
                };
            }
        }

        // Remembered only once everything else holds, so a refused event cannot burn a jti.
        if (!await _soc.RememberOnceAsync($"ssf:{issuer}:{jti}", _options.MaxEventAge + (2 * _broker.ClockSkew), cancellationToken))
        {
            LogRefused(_logger, "invalid_request", "replayed");
            await AuditAsync(AuditEventTypes.SsfRefused, issuer, jti, new JsonObject { ["error"] = "invalid_request", ["description"] = "replayed" }, cancellationToken);
            return SsfOutcome.Refused("invalid_request", "This event (iss, jti) was already received.");
        }

        await AuditAsync(AuditEventTypes.SsfAccepted, issuer, jti, new JsonObject
        {
            ["events"] = new JsonArray([.. subjects.Select(s => (JsonNode)new JsonObject { ["type"] = s.Type, ["workload"] = s.Workload })]),
        }, cancellationToken);
        var started = new List<string>();
        foreach (var (eventType, workload) in subjects)
        {
            var revocation = await _bulk.StartAsync(
                "ssf:" + issuer, new RevocationSelector(Workload: workload), $"ssf {eventType[(eventType.LastIndexOf('/') + 1)..]} from {issuer} (jti {jti})", null, quarantine: false, cancellationToken);
            started.Add(revocation.Id);
        }

        LogAccepted(_logger, issuer, jti, started.Count);
        return new SsfOutcome(true, null, null, started);
    }

    private ValueTask<AuditEntry> AuditAsync(string type, string issuer, string? jti, JsonObject details, CancellationToken cancellationToken)
    {
        details["issuer"] = issuer;
        details["setJti"] = jti;
        return _audit.AppendAsync(AuditEvents.Create(type, _time.GetUtcNow(), "ssf:" + issuer, null, details), cancellationToken);
    }

    private static Checked Verified(string issuer, string? jti, SsfOutcome refused) => new(refused, issuer, jti);

    private sealed record Checked(SsfOutcome? Outcome, string? Issuer = null, string? Jti = null, IReadOnlyList<(string Type, string Workload)>? Subjects = null);

    private async ValueTask<Checked> CheckAsync(string? set)
    {
        // The shape check comes first: it refuses what the JWT library would throw on (a JWE, bad base64url) in bounded time.
        string? issuer;
        try
        {
            issuer = JwtShape.Check(set, MaxLength) is null ? new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(set).Issuer : null;
        }
        catch (ArgumentException)
        {
            issuer = null;
        }

        if (issuer is null)
        {
            return new(SsfOutcome.Refused("invalid_request", "The body is not a signed JWT (JWS compact serialization) of at most 64 KiB."));
        }

        if (!_transmitters.Value.TryGetValue(issuer, out var transmitter))
        {
            return new(SsfOutcome.Refused("invalid_issuer", "The issuer is not a configured transmitter."));
        }

        var algorithms = transmitter.Options.Algorithms.Count > 0 ? [.. transmitter.Options.Algorithms] : new[] { SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256 };
        var now = _time.GetUtcNow();
        var result = await JwtValidation.ValidateAsync(set, MaxLength, new JwtValidation.Expectations(
            SetTypes, algorithms,
            kid => transmitter.Keys.Keys.FirstOrDefault(k => kid is null ? transmitter.Keys.Keys.Count == 1 : string.Equals(k.Kid, kid, StringComparison.Ordinal)),
            issuer, _broker.Issuer, now, _broker.ClockSkew, TimeSpan.Zero, CheckLifetime: false));
        if (!result.IsValid)
        {
            return new(result.Failure switch
            {
                JwtValidationFailure.WrongAudience => SsfOutcome.Refused("invalid_audience", "The event is not addressed to this broker."),
                JwtValidationFailure.UnknownKey or JwtValidationFailure.BadSignature or JwtValidationFailure.BadAlgorithm =>
                    SsfOutcome.Refused("invalid_key", "The signature does not verify with the transmitter's keys and allowed algorithms."),
                JwtValidationFailure.WrongType => SsfOutcome.Refused("invalid_request", "The token is not a Security Event Token (typ: secevent+jwt)."),
                _ => SsfOutcome.Refused("invalid_request", "The event is malformed."),
            });
        }

        var jwt = result.Token;

        // RFC 8417 §2.2 (and SSF 1.0): a SET names its subject in sub_id, never 'sub', and it does not expire; a token
        // with either claim is not a SET (it may be an ordinary JWT replayed here) and must not be acted on.
        if (jwt.TryGetClaim("sub", out _) || jwt.TryGetClaim("exp", out _))
        {
            return Verified(issuer, jwt.Id, SsfOutcome.Refused("invalid_request", "A Security Event Token carries neither 'sub' nor 'exp' (RFC 8417 §2.2); the subject goes in 'sub_id'."));
        }

        if (!jwt.TryGetPayloadValue<long>("iat", out var iat) || string.IsNullOrEmpty(jwt.Id))
        {
            return Verified(issuer, jwt.Id, SsfOutcome.Refused("invalid_request", "A Security Event Token needs iat and jti."));
        }

        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(iat);
        if (issuedAt > now + _broker.ClockSkew || now - issuedAt > _options.MaxEventAge)
        {
            return Verified(issuer, jwt.Id, SsfOutcome.Refused("invalid_request", $"The event's iat is in the future or older than {_options.MaxEventAge.TotalMinutes:0} minutes."));
        }

        if (!jwt.TryGetPayloadValue<JsonElement>("events", out var events) || events.ValueKind != JsonValueKind.Object || !events.EnumerateObject().Any())
        {
            return Verified(issuer, jwt.Id, SsfOutcome.Refused("invalid_request", "The event carries no 'events' object."));
        }

        jwt.TryGetPayloadValue<JsonElement>("sub_id", out var topSubject);
        var subjects = new List<(string, string)>();
        foreach (var member in events.EnumerateObject())
        {
            var revokes = member.Name == SessionRevoked
                || (member.Name == CredentialChange && member.Value.ValueKind == JsonValueKind.Object
                    && member.Value.TryGetProperty("change_type", out var change) && change.ValueKind == JsonValueKind.String && change.GetString() == "revoke");
            if (!revokes)
            {
                continue;
            }

            var subject = member.Value.ValueKind == JsonValueKind.Object && member.Value.TryGetProperty("subject", out var inner) ? inner : topSubject;
            if (Workload(subject) is not { } workload)
            {
                return Verified(issuer, jwt.Id, SsfOutcome.Refused("invalid_request", "The event's subject (sub_id) must name a workload by SPIFFE ID (format 'uri', or 'iss_sub' whose sub is a SPIFFE ID)."));
            }

            if (!transmitter.Options.Subjects.Any(pattern => SpiffeIdPattern.Matches(pattern, workload)))
            {
                return Verified(issuer, jwt.Id, SsfOutcome.Refused("access_denied", "This transmitter may not revoke that workload: it is outside the transmitter's configured Subjects."));
            }

            subjects.Add((member.Name, workload));
        }

        return new(null, issuer, jwt.Id, subjects);
    }

    /// <summary>The SPIFFE ID a subject identifier (RFC 9493) names, if it names one.</summary>
    private static string? Workload(JsonElement subject)
    {
        if (subject.ValueKind != JsonValueKind.Object || !subject.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var member = format.GetString() switch
        {
            "uri" => "uri",
            "iss_sub" => "sub",
            _ => null,
        };
        return member is not null && subject.TryGetProperty(member, out var value) && value.ValueKind == JsonValueKind.String
            && SpiffeId.TryParse(value.GetString(), out var id, out _) ? id.Value : null;
    }

    [LoggerMessage(EventId = 2020, EventName = "SsfEventRefused", Level = LogLevel.Warning, Message = "Refused a Security Event Token: {Error} ({Description})")]
    private static partial void LogRefused(ILogger logger, string error, string description);

    [LoggerMessage(EventId = 2021, EventName = "SsfEventAccepted", Level = LogLevel.Warning, Message = "Accepted Security Event Token {Jti} from {Issuer}: {Revocations} bulk revocation(s) started")]
    private static partial void LogAccepted(ILogger logger, string issuer, string jti, int revocations);
}
