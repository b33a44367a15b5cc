using System.Text;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Server.RateLimiting;
using CredentialBroker.Soc;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CredentialBroker.Server.Soc;

/// <summary>
/// <c>POST /v1/ssf/events</c>: push delivery of Security Event Tokens (RFC 8935). The transmitter authenticates by its
/// signature on each event, not by a SPIFFE identity; answers are RFC 8935's: 202, or 400 with <c>err</c> and
/// <c>description</c>.
/// </summary>
internal static class SsfEndpoints
{
    private const int MaxBody = 64 * 1024;

    public static void MapSsfEndpoints(this IEndpointRouteBuilder app) => app.MapPost("/v1/ssf/events", ReceiveAsync).AllowAnonymous(); // each event authenticates itself by its transmitter's signature

    private static async Task<IResult> ReceiveAsync(HttpContext http, SsfReceiver receiver)
    {
        var mediaType = http.Request.ContentType?.Split(';')[0].Trim();
        if (!string.Equals(mediaType, "application/secevent+jwt", StringComparison.OrdinalIgnoreCase))
        {
            return Error("invalid_request", "The body must be a Security Event Token sent as application/secevent+jwt.");
        }

        if (http.Request.ContentLength > MaxBody)
        {
            return Error("invalid_request", "The event is larger than 64 KiB.");
        }

        using var reader = new StreamReader(http.Request.Body, Encoding.ASCII);
        var buffer = new char[MaxBody + 1];
        var read = await reader.ReadBlockAsync(buffer.AsMemory(), http.RequestAborted);
        if (read > MaxBody)
        {
            return Error("invalid_request", "The event is larger than 64 KiB.");
        }

        var outcome = await receiver.ReceiveAsync(new string(buffer, 0, read).Trim(), http.RequestAborted);
        if (outcome.Throttled)
        {
            return TooManyRequests.Result(http, outcome.RetryAfter, "from this transmitter");
        }

        return outcome.Accepted
            ? TypedResults.Accepted((string?)null, new SsfAccepted(outcome.RevocationIds))
            : Error(outcome.Error!, outcome.Description!);
    }

    private static BadRequest<SsfError> Error(string error, string description) => TypedResults.BadRequest(new SsfError(error, description));
}

/// <summary>An accepted event: the bulk revocations it started (none for events the broker does not act on).</summary>
internal sealed record SsfAccepted(IReadOnlyList<string> RevocationIds);

/// <summary>An RFC 8935 §2.3 error.</summary>
internal sealed record SsfError([property: System.Text.Json.Serialization.JsonPropertyName("err")] string Err, string Description);
