using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core.Tokens;
using CredentialBroker.Revoker;
using CredentialBroker.Soc;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CredentialBroker.Server.Soc;

/// <summary>
/// The Shared Signals transmitter (OpenID SSF 1.0, CAEP 1.0). Receivers' event streams are managed here (SSF §8.1); every
/// credential the revocation feed reports revoked or expired becomes, for each stream that asked for it, a Security Event
/// Token (RFC 8417, <c>typ: secevent+jwt</c>, signed by the broker's current key): CAEP <c>session-revoked</c> for a token
/// (subject <c>jwt_id</c>: the broker's <c>iss</c> and the token's <c>jti</c>), CAEP <c>credential-change</c> with
/// <c>change_type: revoke</c> for a downstream secret (subject <c>opaque</c>: the secret's record id). Signed events wait in
/// the store until pushed (RFC 8935; failures retried with capped exponential backoff) or acknowledged by a poll
/// (RFC 8936), so a crash loses none.
/// </summary>
internal sealed partial class SsfTransmitter
{
    public const string PushMethod = "urn:ietf:rfc:8935";
    public const string PollMethod = "urn:ietf:rfc:8936";
    public const string VerificationEvent = "https://schemas.openid.net/secevent/ssf/event-type/verification";
    public const string HttpClientName = "credentialbroker.ssf.push";
    public const string ConfigurationPath = "/v1/ssf/streams";
    public const string StatusPath = "/v1/ssf/status";
    public const string VerificationPath = "/v1/ssf/verify";
    public const string PollPath = "/v1/ssf/poll";
    public const string SetType = "secevent+jwt";
    public const string NoSuchStreamPrefix = "There is no stream";

    public static readonly IReadOnlyList<string> EventsSupported = [SsfReceiver.SessionRevoked, SsfReceiver.CredentialChange];

    private static readonly string[] Statuses = ["enabled", "paused", "disabled"];
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    private const string LeaseName = "ssf-transmitter";
    private const int FeedBatch = 500;
    private const int MaxText = 256;
    private const int MaxUrl = 2048;
    private const int MaxAuthorization = 4096;

    private readonly string _owner = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset NextAttempt)> _backoff = new(StringComparer.Ordinal);
    private readonly SsfTransmitOptions _options;
    private readonly CredentialBrokerOptions _broker;
    private readonly ISsfStreamStore _store;
    private readonly ISocStore _soc;
    private readonly ICredentialStore _credentials;
    private readonly RevocationFeed _feed;
    private readonly IAuditLog _audit;
    private readonly SigningKeyRing _keys;
    private readonly TimeProvider _time;
    private readonly IHttpClientFactory _http;
    private readonly ILogger<SsfTransmitter> _logger;

    public SsfTransmitter(
        IOptions<SsfTransmitOptions> options,
        IOptions<CredentialBrokerOptions> broker,
        ISsfStreamStore store,
        ISocStore soc,
        ICredentialStore credentials,
        RevocationFeed feed,
        IAuditLog audit,
        SigningKeyRing keys,
        [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time,
        IHttpClientFactory http,
        ILogger<SsfTransmitter> logger)
    {
        _options = options.Value;
        _broker = broker.Value;
        _store = store;
        _soc = soc;
        _credentials = credentials;
        _feed = feed;
        _audit = audit;
        _keys = keys;
        _time = time;
        _http = http;
        _logger = logger;
    }

    public string Issuer => _broker.Issuer!;

    /// <summary>Where a poll receiver fetches its stream's events.</summary>
    public string PollUrl(string streamId) => $"{Issuer}{PollPath}/{Uri.EscapeDataString(streamId)}";

    // ---- Stream management (SSF 1.0 §8.1.1) ----

    /// <summary>Creates a stream from a receiver's configuration request (SSF §8.1.1.1).</summary>
    public async ValueTask<(SsfStream? Stream, FieldErrors? Errors)> CreateAsync(string caller, JsonObject request, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var streamId = "ssf_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var stream = Parse(request, errors, new SsfStream(streamId, string.Empty, string.Empty, null, null, [.. EventsSupported], null, "enabled", null, _time.GetUtcNow(), caller), replace: true);
        if (errors.Any)
        {
            return (null, errors);
        }

        if ((await _store.ListStreamsAsync(cancellationToken)).Count >= _options.MaxStreams)
        {
            errors.Add("stream_id", $"The broker already keeps {_options.MaxStreams} streams (CredentialBroker:SsfTransmitter:MaxStreams); delete one first.");
            return (null, errors);
        }

        await SaveAsync(stream!, cancellationToken);
        await AuditAsync(caller, stream!, "created", cancellationToken);
        LogStreamChanged(_logger, stream!.StreamId, "created", stream.Method, stream.Status);
        return (stream, null);
    }

    /// <summary>A stream, or <see langword="null"/>.</summary>
    public async ValueTask<SsfStream?> GetAsync(string streamId, CancellationToken cancellationToken) =>
        await _store.GetStreamAsync(streamId, cancellationToken) is { } json ? JsonSerializer.Deserialize(json, ServerJsonContext.Default.SsfStream) : null;

    /// <summary>Every stream.</summary>
    public async ValueTask<IReadOnlyList<SsfStream>> ListAsync(CancellationToken cancellationToken) =>
        [.. (await _store.ListStreamsAsync(cancellationToken)).Select(json => JsonSerializer.Deserialize(json, ServerJsonContext.Default.SsfStream)!).OrderBy(s => s.CreatedAt)];

    /// <summary>Updates (PATCH: the members present) or replaces (PUT: every receiver-supplied member) a stream (SSF §8.1.1.3, §8.1.1.4).</summary>
    public async ValueTask<(SsfStream? Stream, FieldErrors? Errors)> UpdateAsync(string caller, JsonObject request, bool replace, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        if (await FindAsync(request, errors, cancellationToken) is not { } existing)
        {
            return (null, errors);
        }

        var stream = Parse(request, errors, existing, replace);
        if (errors.Any)
        {
            return (null, errors);
        }

        await SaveAsync(stream!, cancellationToken);
        await AuditAsync(caller, stream!, replace ? "replaced" : "updated", cancellationToken);
        LogStreamChanged(_logger, stream!.StreamId, replace ? "replaced" : "updated", stream.Method, stream.Status);
        return (stream, null);
    }

    /// <summary>Deletes a stream and its pending events (SSF §8.1.1.5); <see langword="false"/> when there is none.</summary>
    public async ValueTask<bool> DeleteAsync(string caller, string streamId, CancellationToken cancellationToken)
    {
        var stream = await GetAsync(streamId, cancellationToken);
        if (stream is null || !await _store.DeleteStreamAsync(streamId, cancellationToken))
        {
            return false;
        }

        _backoff.TryRemove(streamId, out _);
        await AuditAsync(caller, stream, "deleted", cancellationToken);
        LogStreamChanged(_logger, streamId, "deleted", stream.Method, stream.Status);
        return true;
    }

    /// <summary>Sets a stream's status (SSF §8.1.2.2).</summary>
    public async ValueTask<(SsfStream? Stream, FieldErrors? Errors)> SetStatusAsync(string caller, JsonObject request, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        if (await FindAsync(request, errors, cancellationToken) is not { } existing)
        {
            return (null, errors);
        }

        var status = Text(request, "status", errors, MaxText);
        if (status is null || !Statuses.Contains(status))
        {
            errors.Add("status", status is null ? "status is required: enabled, paused or disabled." : "status must be enabled, paused or disabled.");
        }

        var reason = Text(request, "reason", errors, MaxText);
        if (errors.Any)
        {
            return (null, errors);
        }

        var stream = existing with { Status = status!, Reason = reason };
        await SaveAsync(stream, cancellationToken);
        if (status != "enabled")
        {
            _backoff.TryRemove(stream.StreamId, out _);
        }

        if (status == "disabled")
        {
            await DropPendingAsync(stream.StreamId, cancellationToken);
        }

        await AuditAsync(caller, stream, "status", cancellationToken);
        LogStreamChanged(_logger, stream.StreamId, "status", stream.Method, stream.Status);
        return (stream, null);
    }

    /// <summary>
    /// Queues a verification event (SSF §8.1.4.2) for a stream, carrying the receiver's <c>state</c> when given; the
    /// stream's delivery then carries it like any other event.
    /// </summary>
    public async ValueTask<FieldErrors?> VerifyAsync(JsonObject request, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        if (await FindAsync(request, errors, cancellationToken) is not { } stream)
        {
            return errors;
        }

        var state = Text(request, "state", errors, MaxText);
        if (errors.Any)
        {
            return errors;
        }

        if (stream.Status == "disabled")
        {
            errors.Add("stream_id", "The stream is disabled: enable it before asking for a verification event.");
            return errors;
        }

        var body = new JsonObject();
        if (state is not null)
        {
            body["state"] = state;
        }

        var jti = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await _store.EnqueueAsync(stream.StreamId, [Sign(stream, jti, new JsonObject { ["format"] = "opaque", ["id"] = stream.StreamId }, VerificationEvent, body)], cancellationToken);
        LogVerificationQueued(_logger, stream.StreamId, jti);
        return null;
    }

    // ---- Poll delivery (RFC 8936) ----

    /// <summary>
    /// One poll: removes the events the receiver acknowledges (<c>ack</c>) or reports as errors (<c>setErrs</c>), then
    /// returns up to <c>maxEvents</c> pending events, oldest first; they stay pending until acknowledged. A stream whose
    /// <c>aud</c> is a SPIFFE ID is polled only by that workload (<paramref name="poller"/>) or the SOC.
    /// </summary>
    public async ValueTask<SsfPollOutcome> PollAsync(string streamId, string poller, bool pollerIsSoc, JsonObject request, CancellationToken cancellationToken)
    {
        var stream = await GetAsync(streamId, cancellationToken);
        if (stream is null || stream.Method != PollMethod)
        {
            return SsfPollOutcome.Refused(HttpStatusCode.NotFound, "invalid_request", "There is no poll stream with this id.");
        }

        // A stream addressed to a workload (its aud is a SPIFFE ID) is that receiver's alone: another resource server could
        // otherwise acknowledge — remove — the events meant for it. The SOC may always look.
        if (!pollerIsSoc && stream.Audience.StartsWith("spiffe://", StringComparison.Ordinal) && !string.Equals(stream.Audience, poller, StringComparison.Ordinal))
        {
            return SsfPollOutcome.Refused(HttpStatusCode.Forbidden, "access_denied", "This poll stream is addressed to another workload (its aud); only that workload or the SOC may poll it.");
        }

        var max = _options.MaxPollEvents;
        if (request["maxEvents"] is { } maxNode)
        {
            if (maxNode.GetValueKind() != JsonValueKind.Number || !maxNode.AsValue().TryGetValue<int>(out var asked) || asked < 0)
            {
                return SsfPollOutcome.Refused(HttpStatusCode.BadRequest, "invalid_request", "maxEvents must be a non-negative integer.");
            }

            max = Math.Min(asked, _options.MaxPollEvents);
        }

        if (request["returnImmediately"] is { } immediate && immediate.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            return SsfPollOutcome.Refused(HttpStatusCode.BadRequest, "invalid_request", "returnImmediately must be a boolean.");
        }

        var done = new List<string>();
        if (request["ack"] is { } ack)
        {
            if (ack is not JsonArray acks || acks.Any(a => a?.GetValueKind() != JsonValueKind.String))
            {
                return SsfPollOutcome.Refused(HttpStatusCode.BadRequest, "invalid_request", "ack must be an array of jti strings.");
            }

            done.AddRange(acks.Select(a => (string)a!));
        }

        if (request["setErrs"] is { } setErrs)
        {
            if (setErrs is not JsonObject errs || errs.Any(e => e.Value is not JsonObject))
            {
                return SsfPollOutcome.Refused(HttpStatusCode.BadRequest, "invalid_request", "setErrs must map each jti to {\"err\", \"description\"}.");
            }

            foreach (var (jti, error) in errs)
            {
                // The receiver refused the event: it will not take it later either (RFC 8936 §2.3), so it is done with.
                // Only short error codes and jtis reach the log: the rest is the receiver's text, not the broker's.
                if (IsCode(jti))
                {
                    LogReceiverRejected(_logger, streamId, jti, error!["err"]?.GetValueKind() == JsonValueKind.String && IsCode((string)error["err"]!) ? (string)error["err"]! : "unspecified");
                }

                done.Add(jti);
            }
        }

        await _store.AcknowledgeAsync(streamId, done, cancellationToken);
        if (stream.Status != "enabled" || max == 0)
        {
            return new SsfPollOutcome(new Dictionary<string, string>(StringComparer.Ordinal), false, null);
        }

        var pending = await _store.ReadPendingAsync(streamId, max + 1, cancellationToken);
        return new SsfPollOutcome(pending.Take(max).ToDictionary(p => p.Jti, p => p.Set, StringComparer.Ordinal), pending.Count > max, null);
    }

    // ---- The revocation feed to events, and push delivery (RFC 8935) ----

    /// <summary>
    /// One run of the transmitter (one replica at a time, by lease): turns new revocation feed entries into events for
    /// every stream that asked for them, then pushes each enabled push stream's pending events whose retry is due.
    /// Returns how many events were queued and delivered.
    /// </summary>
    public async Task<int> TransmitAsync(CancellationToken cancellationToken)
    {
        var lease = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(30).Ticks, _options.DeliveryInterval.Ticks * 10));
        if (!await _soc.TryLeaseAsync(LeaseName, _owner, lease, cancellationToken))
        {
            return 0;
        }

        var streams = await ListAsync(cancellationToken);
        var count = await QueueRevocationsAsync(streams, cancellationToken);
        foreach (var stream in streams.Where(s => s.Method == PushMethod && s.Status == "enabled"))
        {
            count += await PushAsync(stream, cancellationToken);
        }

        return count;
    }

    private async Task<int> QueueRevocationsAsync(IReadOnlyList<SsfStream> streams, CancellationToken cancellationToken)
    {
        var cursor = await _store.GetFeedCursorAsync(cancellationToken);
        var entries = await _feed.ReadAsync(cursor, FeedBatch, cancellationToken);
        if (entries.Count == 0)
        {
            return 0;
        }

        var listening = streams.Where(s => s.Status != "disabled" && s.EventsDelivered.Count > 0).ToList();
        var queued = new Dictionary<string, List<SsfPendingEvent>>(StringComparer.Ordinal);
        foreach (var entry in listening.Count == 0 ? [] : entries)
        {
            var receivers = listening.Where(s => s.CreatedAt <= entry.RevokedAt).ToList();
            if (receivers.Count == 0)
            {
                continue;
            }

            var lookup = await _credentials.GetCredentialAsync(entry.TaskId, entry.Jti, cancellationToken);
            var secret = lookup?.Credential.Kind == CredentialKind.Secret;
            var type = secret ? SsfReceiver.CredentialChange : SsfReceiver.SessionRevoked;
            var subject = secret
                ? new JsonObject { ["format"] = "opaque", ["id"] = entry.Jti }
                : new JsonObject { ["format"] = "jwt_id", ["iss"] = Issuer, ["jti"] = entry.Jti };
            foreach (var stream in receivers.Where(s => s.EventsDelivered.Contains(type)))
            {
                var body = new JsonObject
                {
                    ["event_timestamp"] = entry.RevokedAt.ToUnixTimeSeconds(),
                    ["initiating_entity"] = Initiator(entry.Reason),
                    ["reason_admin"] = new JsonObject { ["en"] = entry.Reason },
                };
                if (secret)
                {
                    body["credential_type"] = "password";
                    body["change_type"] = "revoke";
                }

                // The same feed entry always gives the same jti, so queueing it again after a crash sends nothing twice.
                var jti = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{stream.StreamId}\n{entry.Id}\n{type}")))[..32];
                var list = queued.TryGetValue(stream.StreamId, out var l) ? l : queued[stream.StreamId] = [];
                list.Add(Sign(stream, jti, (JsonObject)subject.DeepClone(), type, body));
            }
        }

        foreach (var (streamId, events) in queued)
        {
            if (await _store.CountPendingAsync(streamId, cancellationToken) + events.Count > _options.MaxPendingEvents)
            {
                await DisableOverfullAsync(listening.Single(s => s.StreamId == streamId), cancellationToken);
                continue;
            }

            await _store.EnqueueAsync(streamId, events, cancellationToken);
        }

        await _store.SaveFeedCursorAsync(entries[^1].Id, cancellationToken);
        return queued.Values.Sum(e => e.Count);
    }

    // Disabled: events are neither kept nor delivered (SSF §8.1.2), so those already pending go too.
    private async ValueTask DropPendingAsync(string streamId, CancellationToken cancellationToken)
    {
        while (await _store.ReadPendingAsync(streamId, 1000, cancellationToken) is { Count: > 0 } pending
               && await _store.AcknowledgeAsync(streamId, [.. pending.Select(p => p.Jti)], cancellationToken) > 0)
        {
        }
    }

    // A receiver that does not take its events would otherwise let them fill the store: its stream is disabled instead,
    // visibly (status and reason, the boundary log, a warning), and it must be enabled again to hear new events.
    private async ValueTask DisableOverfullAsync(SsfStream stream, CancellationToken cancellationToken)
    {
        var disabled = stream with
        {
            Status = "disabled",
            Reason = $"More than {_options.MaxPendingEvents} events were pending (CredentialBroker:SsfTransmitter:MaxPendingEvents): the receiver is not taking them. Its pending events were dropped.",
        };
        await SaveAsync(disabled, cancellationToken);
        _backoff.TryRemove(stream.StreamId, out _);
        await DropPendingAsync(stream.StreamId, cancellationToken);
        await AuditAsync(AuditEvents.BrokerActor, disabled, "status", cancellationToken);
        LogStreamOverfull(_logger, stream.StreamId, _options.MaxPendingEvents);
    }

    private static string Initiator(string reason) => reason switch
    {
        RevocationReasons.Bulk => "admin",
        RevocationReasons.Holder => "user",
        RevocationReasons.TtlExpired or RevocationReasons.IssueIncomplete => "system",
        _ => "policy",
    };

    private async Task<int> PushAsync(SsfStream stream, CancellationToken cancellationToken)
    {
        if (_backoff.TryGetValue(stream.StreamId, out var backoff) && backoff.NextAttempt > _time.GetUtcNow())
        {
            return 0;
        }

        var delivered = 0;
        foreach (var pending in await _store.ReadPendingAsync(stream.StreamId, _options.PushBatchSize, cancellationToken))
        {
            var (accepted, rejected, failure) = await SendAsync(stream, pending, cancellationToken);
            if (accepted || rejected is not null)
            {
                if (rejected is not null)
                {
                    // RFC 8935 §2.3: the receiver refused this event and would refuse it again; retrying cannot help.
                    LogReceiverRejected(_logger, stream.StreamId, pending.Jti, rejected);
                }
                else
                {
                    delivered++;
                }

                await _store.AcknowledgeAsync(stream.StreamId, [pending.Jti], cancellationToken);
                _backoff.TryRemove(stream.StreamId, out _);
                continue;
            }

            var failures = (_backoff.TryGetValue(stream.StreamId, out var previous) ? previous.Failures : 0) + 1;
            var delay = TimeSpan.FromTicks((long)Math.Min(_options.RetryMaxDelay.Ticks, _options.RetryInitialDelay.Ticks * Math.Pow(2, Math.Min(failures - 1, 30))));
            _backoff[stream.StreamId] = (failures, _time.GetUtcNow() + delay);
            LogPushFailed(_logger, stream.StreamId, pending.Jti, failure!, failures, delay);
            break;
        }

        if (delivered > 0)
        {
            LogDelivered(_logger, stream.StreamId, delivered);
        }

        return delivered;
    }

    private async Task<(bool Accepted, string? Rejected, string? Failure)> SendAsync(SsfStream stream, SsfPendingEvent pending, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, stream.EndpointUrl)
        {
            Content = new StringContent(pending.Set, Encoding.ASCII),
        };

        // RFC 8935 §2: exactly application/secevent+jwt (StringContent would add a charset a strict receiver refuses).
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/secevent+jwt");
        request.Headers.Accept.ParseAdd("application/json");
        if (stream.AuthorizationHeader is { } authorization)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.PushTimeout);
        try
        {
            using var response = await _http.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                return (true, null, null);
            }

            if (response.StatusCode == HttpStatusCode.BadRequest)
            {
                return (false, await ErrorCodeAsync(response, timeout.Token), null);
            }

            return (false, null, "HTTP " + (int)response.StatusCode);
        }
        catch (HttpRequestException ex)
        {
            return (false, null, "unreachable (" + ex.HttpRequestError + ")");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, null, "timed out");
        }
    }

    /// <summary>The RFC 8935 §2.3 <c>err</c> of a 400, read from at most 4 KiB of body; never the description (it may echo the event).</summary>
    private static async Task<string> ErrorCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var buffer = new byte[4096];
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var read = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
            using var json = JsonDocument.Parse(buffer.AsMemory(0, read));
            return json.RootElement.TryGetProperty("err", out var err) && err.ValueKind == JsonValueKind.String && IsCode(err.GetString()!)
                ? err.GetString()!
                : "invalid_request";
        }
        catch (Exception ex) when (ex is JsonException or IOException or HttpRequestException)
        {
            return "invalid_request";
        }
    }

    /// <summary>A receiver-supplied error code or jti fit for the log: 1 to 64 ASCII letters, digits, <c>_</c>, <c>-</c> or <c>.</c>.</summary>
    private static bool IsCode(string value) =>
        value.Length is > 0 and <= 64 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    private SsfPendingEvent Sign(SsfStream stream, string jti, JsonObject subject, string eventType, JsonObject body)
    {
        var now = _time.GetUtcNow();
        var payload = new JsonObject
        {
            ["iss"] = Issuer,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["jti"] = jti,
            ["aud"] = stream.Audience,
            ["sub_id"] = subject,
            ["events"] = new JsonObject { [eventType] = body },
        };
        var set = Handler.CreateToken(payload.ToJsonString(), _keys.ActiveAt(now).Credentials, new Dictionary<string, object>(StringComparer.Ordinal) { ["typ"] = SetType });
        return new SsfPendingEvent(jti, set);
    }

    // ---- Parsing and storing streams ----

    private async ValueTask<SsfStream?> FindAsync(JsonObject request, FieldErrors errors, CancellationToken cancellationToken)
    {
        var streamId = Text(request, "stream_id", errors, MaxText);
        if (streamId is null)
        {
            if (!errors.Has("stream_id"))
            {
                errors.Add("stream_id", "stream_id is required.");
            }

            return null;
        }

        var stream = await GetAsync(streamId, cancellationToken);
        if (stream is null)
        {
            errors.Add("stream_id", $"{NoSuchStreamPrefix} '{streamId}'.");
        }

        return stream;
    }

    /// <summary>
    /// Applies a receiver's request to <paramref name="stream"/>. With <paramref name="replace"/>, members left out take
    /// their defaults (create, PUT); otherwise they keep their values (PATCH). Transmitter-supplied members are ignored.
    /// </summary>
    private SsfStream? Parse(JsonObject request, FieldErrors errors, SsfStream stream, bool replace)
    {
        var result = stream;
        if (request.ContainsKey("delivery") || replace)
        {
            if (request["delivery"] is not JsonObject delivery)
            {
                errors.Add("delivery", "delivery is required: an object with method urn:ietf:rfc:8935 (push, with endpoint_url) or urn:ietf:rfc:8936 (poll).");
            }
            else
            {
                var method = Text(delivery, "method", errors, MaxText, "delivery.");
                var endpoint = Text(delivery, "endpoint_url", errors, MaxUrl, "delivery.");
                var authorization = Text(delivery, "authorization_header", errors, MaxAuthorization, "delivery.");
                switch (method)
                {
                    case PushMethod:
                        if (endpoint is null)
                        {
                            AddOnce(errors, "delivery.endpoint_url", "Push delivery (urn:ietf:rfc:8935) needs endpoint_url: the receiver's absolute https URL.");
                        }
                        else if (!PushEndpointAllowed(endpoint))
                        {
                            errors.Add("delivery.endpoint_url", _options.AllowLoopbackHttp
                                ? "endpoint_url must be an absolute https URL (or http on a loopback address), without user information or fragment, not on a link-local, unspecified or multicast address."
                                : "endpoint_url must be an absolute https URL, without user information or fragment, not on a loopback, link-local, unspecified or multicast address (for a receiver on this host, set CredentialBroker:SsfTransmitter:AllowLoopbackHttp=true).");
                        }

                        if (authorization is not null && authorization.AsSpan().IndexOfAny('\r', '\n') >= 0)
                        {
                            errors.Add("delivery.authorization_header", "authorization_header must be one header value, without line breaks.");
                        }

                        result = result with { Method = PushMethod, EndpointUrl = endpoint, AuthorizationHeader = authorization };
                        break;
                    case PollMethod:
                        if (endpoint is not null)
                        {
                            errors.Add("delivery.endpoint_url", "For poll delivery (urn:ietf:rfc:8936) the broker supplies endpoint_url; leave it out.");
                        }

                        if (authorization is not null)
                        {
                            errors.Add("delivery.authorization_header", "authorization_header applies to push delivery only; a poll receiver authenticates to the broker with its SVID.");
                        }

                        result = result with { Method = PollMethod, EndpointUrl = null, AuthorizationHeader = null };
                        break;
                    default:
                        AddOnce(errors, "delivery.method", "delivery.method must be urn:ietf:rfc:8935 (push) or urn:ietf:rfc:8936 (poll).");
                        break;
                }
            }
        }

        if (request.ContainsKey("events_requested") || replace)
        {
            if (request["events_requested"] is null && !request.ContainsKey("events_requested"))
            {
                result = result with { EventsRequested = [.. EventsSupported] };
            }
            else if (request["events_requested"] is not JsonArray events || events.Count > 64
                     || events.Any(e => e?.GetValueKind() != JsonValueKind.String || !Uri.TryCreate((string)e!, UriKind.Absolute, out _)))
            {
                errors.Add("events_requested", "events_requested must be an array of at most 64 event type URIs.");
            }
            else
            {
                result = result with { EventsRequested = [.. events.Select(e => (string)e!).Distinct(StringComparer.Ordinal)] };
            }
        }

        if (request.ContainsKey("description") || replace)
        {
            result = result with { Description = Text(request, "description", errors, MaxText) };
        }

        if (request.ContainsKey("aud") || replace)
        {
            var audience = Text(request, "aud", errors, MaxUrl);
            if (audience is not null && !Uri.TryCreate(audience, UriKind.Absolute, out _))
            {
                errors.Add("aud", "aud must be an absolute URI naming the receiver.");
            }

            result = result with { Audience = audience ?? $"urn:credentialbroker:ssf:stream:{stream.StreamId}" };
        }

        return errors.Any ? null : result;
    }

    private bool PushEndpointAllowed(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && string.IsNullOrEmpty(uri.UserInfo) && string.IsNullOrEmpty(uri.Fragment)
        && (uri.IsLoopback
            ? _options.AllowLoopbackHttp && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            : uri.Scheme == Uri.UriSchemeHttps && !NeverAReceiver(uri));

    /// <summary>
    /// An address literal no receiver has: link-local (169.254.0.0/16, where cloud metadata services answer; fe80::/10),
    /// unspecified or multicast. A host name is not resolved here.
    /// </summary>
    private static bool NeverAReceiver(Uri uri)
    {
        if (uri.HostNameType is not (UriHostNameType.IPv4 or UriHostNameType.IPv6) || !IPAddress.TryParse(uri.DnsSafeHost, out var address))
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.IsIPv6LinkLocal || address.IsIPv6Multicast)
        {
            return true;
        }

        var bytes = address.GetAddressBytes();
        return bytes.Length == 4 && ((bytes[0] == 169 && bytes[1] == 254) || bytes[0] == 0 || bytes[0] >= 224);
    }

    private static string? Text(JsonObject json, string name, FieldErrors errors, int max, string prefix = "")
    {
        var node = json[name];
        if (node is null)
        {
            return null;
        }

        if (node.GetValueKind() != JsonValueKind.String || ((string)node!).Length is 0 || ((string)node!).Length > max)
        {
            errors.Add(prefix + name, $"{prefix}{name} must be a non-empty string of at most {max} characters.");
            return null;
        }

        return (string)node!;
    }

    private static void AddOnce(FieldErrors errors, string field, string message)
    {
        if (!errors.Has(field))
        {
            errors.Add(field, message);
        }
    }

    private ValueTask SaveAsync(SsfStream stream, CancellationToken cancellationToken) =>
        _store.SaveStreamAsync(stream.StreamId, JsonSerializer.Serialize(stream, ServerJsonContext.Default.SsfStream), cancellationToken);

    private async ValueTask AuditAsync(string caller, SsfStream stream, string change, CancellationToken cancellationToken) =>
        await _audit.AppendAsync(AuditEvents.Create(AuditEventTypes.SsfStreamChanged, _time.GetUtcNow(), caller, null, new JsonObject
        {
            ["streamId"] = stream.StreamId,
            ["change"] = change,
            ["method"] = stream.Method,
            ["endpoint"] = stream.EndpointUrl, // never the authorization header
            ["status"] = stream.Status,
            ["events"] = new JsonArray([.. stream.EventsDelivered.Select(e => (JsonNode)e)]),
        }), cancellationToken);

    [LoggerMessage(EventId = 2022, EventName = "SsfStreamChanged", Level = LogLevel.Information, Message = "Shared Signals stream {StreamId} {Change} (delivery {Method}, {Status})")]
    private static partial void LogStreamChanged(ILogger logger, string streamId, string change, string method, string status);

    [LoggerMessage(EventId = 2023, EventName = "SsfEventsDelivered", Level = LogLevel.Debug, Message = "Pushed {Count} Security Event Token(s) to stream {StreamId}")]
    private static partial void LogDelivered(ILogger logger, string streamId, int count);

    [LoggerMessage(EventId = 2024, EventName = "SsfPushFailed", Level = LogLevel.Warning, Message = "Push of Security Event Token {Jti} to stream {StreamId} failed ({Failure}); attempt {Attempt}, next in {Delay}")]
    private static partial void LogPushFailed(ILogger logger, string streamId, string jti, string failure, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 2025, EventName = "SsfEventRejectedByReceiver", Level = LogLevel.Warning, Message = "The receiver of stream {StreamId} refused Security Event Token {Jti} ({Error}); it is not sent again")]
    private static partial void LogReceiverRejected(ILogger logger, string streamId, string jti, string error);

    [LoggerMessage(EventId = 2026, EventName = "SsfVerificationQueued", Level = LogLevel.Information, Message = "Queued verification event {Jti} for stream {StreamId}")]
    private static partial void LogVerificationQueued(ILogger logger, string streamId, string jti);

    [LoggerMessage(EventId = 2027, EventName = "SsfStreamOverfull", Level = LogLevel.Warning, Message = "Shared Signals stream {StreamId} disabled: more than {MaxPendingEvents} events were pending and its receiver is not taking them; its pending events were dropped")]
    private static partial void LogStreamOverfull(ILogger logger, string streamId, int maxPendingEvents);
}

/// <summary>A poll's answer (RFC 8936 §2.3): the events and whether more wait; or an error with its status.</summary>
internal sealed record SsfPollOutcome(IReadOnlyDictionary<string, string> Sets, bool MoreAvailable, (HttpStatusCode Status, string Err, string Description)? Error)
{
    public static SsfPollOutcome Refused(HttpStatusCode status, string err, string description) =>
        new(new Dictionary<string, string>(StringComparer.Ordinal), false, (status, err, description));
}
