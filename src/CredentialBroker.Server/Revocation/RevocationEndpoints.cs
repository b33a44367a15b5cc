using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Revocation;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Revoker;
using CredentialBroker.Server.Identity;
using CredentialBroker.Server.Problems;
using CredentialBroker.Server.Tasks;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Revocation;

/// <summary>The revocation feed (Server-Sent Events) and the SOC's hand resolution of irrevocable credentials.</summary>
internal static partial class RevocationEndpoints
{
    private const int BatchSize = 500;

    public static void MapRevocationEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/revocations/feed", StreamAsync).RequireAuthorization(BrokerPolicies.ResourceServerOrSoc);
        app.MapPost("/v1/tasks/{taskId}/credentials/{jti}/resolve", ResolveAsync).RequireAuthorization(BrokerPolicies.Soc);
    }

    [GeneratedRegex(@"^\d{1,20}(-\d{1,20})?$")]
    private static partial Regex EventId();

    /// <summary>
    /// Streams revoked credentials, oldest first, from just after <c>Last-Event-ID</c> (or the header's query twin
    /// <c>lastEventId</c>), or from the start of the retained feed. Heartbeats tell a follower it is current.
    /// </summary>
    private static async Task StreamAsync(HttpContext http, RevocationFeed feed, IOptions<RevocationFeedOptions> options, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time, TimeProvider wallClock)
    {
        var lastId = http.Request.Headers["Last-Event-ID"].FirstOrDefault() ?? http.Request.Query["lastEventId"].FirstOrDefault();
        if (!string.IsNullOrEmpty(lastId) && !EventId().IsMatch(lastId))
        {
            await ProblemResults.BadRequest("Last-Event-ID is not a feed event id.").ExecuteAsync(http);
            return;
        }

        lastId = string.IsNullOrEmpty(lastId) ? null : lastId;

        // Read before the response starts: a store outage is still an honest 503.
        var events = await feed.ReadAsync(lastId, BatchSize, http.RequestAborted);
        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        var settings = options.Value;
        var lastHeartbeat = DateTimeOffset.MinValue;
        var frames = new ArrayBufferWriter<byte>(16 * 1024);
        using var json = new Utf8JsonWriter(frames, JsonWriting.WriterOptions);
        try
        {
            while (!http.RequestAborted.IsCancellationRequested)
            {
                // A batch is framed into one buffer and written once: a burst of revocations costs few writes.
                foreach (var revocation in events)
                {
                    Frame(frames, json, revocation.Id, "revoked", w => Revoked(w, revocation));
                    lastId = revocation.Id;
                }

                var now = wallClock.GetUtcNow(); // heartbeats pace the connection: wall-clock plumbing, not domain time
                if (events.Count == 0 && now - lastHeartbeat >= settings.HeartbeatInterval)
                {
                    Frame(frames, json, null, "heartbeat", w => Heartbeat(w, time.GetUtcNow(), lastId));
                    lastHeartbeat = now;
                }

                if (frames.WrittenCount > 0)
                {
                    await response.Body.WriteAsync(frames.WrittenMemory, http.RequestAborted);
                    frames.ResetWrittenCount();
                }

                await response.Body.FlushAsync(http.RequestAborted);
                if (events.Count < BatchSize)
                {
                    await feed.WaitForPublishAsync(settings.PollInterval, http.RequestAborted);
                }

                events = await feed.ReadAsync(lastId, BatchSize, http.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
            // The follower went away.
        }
        catch (StoreUnavailableException)
        {
            // Mid-stream there is no status to send: end the stream; the follower reconnects with its Last-Event-ID.
        }
    }

    private static async Task<IResult> ResolveAsync(string taskId, string jti, HttpContext http, IrrevocableRetrier retrier, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
    {
        var (request, error) = await JsonBody.ReadAsync(http.Request, ServerJsonContext.Default.ResolveRequest);
        if (error is not null)
        {
            return error;
        }

        var resolution = await retrier.ResolveAsync(taskId, jti, http.Caller().Id.Value, request!.Note, http.RequestAborted);
        return resolution.Outcome switch
        {
            ResolutionOutcome.Invalid => ProblemResults.Validation(resolution.Errors),
            ResolutionOutcome.NotFound => ProblemResults.NotFound("No such credential."),
            ResolutionOutcome.NotIrrevocable => ProblemResults.Conflict("The credential is not irrevocable; there is nothing to resolve."),
            _ => TypedResults.Ok(CredentialResponse.From(resolution.Credential!, time.GetUtcNow())),
        };
    }

    // One SSE frame: "id: …\nevent: …\ndata: {json}\n\n" (ids and names are ASCII; the JSON is escaped UTF-8).
    private static void Frame(ArrayBufferWriter<byte> frames, Utf8JsonWriter json, string? id, string eventName, Action<Utf8JsonWriter> members)
    {
        if (id is not null)
        {
            Ascii(frames, "id: ");
            Ascii(frames, id);
            Ascii(frames, "\n");
        }

        Ascii(frames, "event: ");
        Ascii(frames, eventName);
        Ascii(frames, "\ndata: ");
        json.Reset(frames);
        json.WriteStartObject();
        members(json);
        json.WriteEndObject();
        json.Flush();
        Ascii(frames, "\n\n");
    }

    private static void Ascii(ArrayBufferWriter<byte> frames, string text) =>
        frames.Advance(Encoding.ASCII.GetBytes(text, frames.GetSpan(text.Length)));

    private static void Revoked(Utf8JsonWriter json, RevocationEvent revocation)
    {
        json.WriteString("jti", revocation.Jti);
        json.WriteNumber("exp", revocation.ExpiresAt.ToUnixTimeSeconds());
        json.WriteString("taskId", revocation.TaskId);
        json.WriteString("reason", revocation.Reason);
        json.WriteString("revokedAt", revocation.RevokedAt.UtcDateTime);
    }

    private static void Heartbeat(Utf8JsonWriter json, DateTimeOffset now, string? lastId)
    {
        json.WriteString("time", now.UtcDateTime);
        if (lastId is null)
        {
            json.WriteNull("lastEventId");
        }
        else
        {
            json.WriteString("lastEventId", lastId);
        }
    }
}
