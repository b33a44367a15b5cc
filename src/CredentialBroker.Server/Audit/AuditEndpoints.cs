using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Core.Audit;
using CredentialBroker.Server.Identity;
using CredentialBroker.Server.Problems;

namespace CredentialBroker.Server.Audit;

/// <summary>
/// The boundary log, read by the SOC and operators: one credential's accountability trace, verification of the chains,
/// the events themselves (for a SIEM) and the signed checkpoints (to anchor elsewhere).
/// </summary>
internal static class AuditEndpoints
{
    private const int MaxLimit = 1000;

    public static void MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        var audit = app.MapGroup("/v1/audit").RequireAuthorization(BrokerPolicies.SocOrOperator);
        audit.MapGet("/trace", TraceAsync);
        audit.MapGet("/verify", VerifyAsync);
        audit.MapGet("/events", EventsAsync);
        audit.MapGet("/checkpoints", CheckpointsAsync);
    }

    private static async Task<IResult> TraceAsync(HttpContext http, AuditTraceService traces)
    {
        var jti = http.Request.Query["jti"];
        if (jti.Count != 1 || string.IsNullOrEmpty(jti[0]) || jti[0]!.Length > 128)
        {
            return ProblemResults.Validation(new Dictionary<string, string[]>(StringComparer.Ordinal) { ["jti"] = ["required: one credential id (jti), at most 128 characters"] });
        }

        return await traces.TraceAsync(jti[0]!, http.RequestAborted) is { } trace
            ? new JsonNodeResult(trace)
            : ProblemResults.NotFound("No retained credential has that jti.");
    }

    private static async Task<IResult> VerifyAsync(HttpContext http, AuditVerifier verifier, IAuditLog log)
    {
        var from = http.Request.Query["from"].ToString();
        long? fromSeq = null;
        var fromCheckpoint = false;
        if (from.Length > 0)
        {
            if (string.Equals(from, "checkpoint", StringComparison.Ordinal))
            {
                fromCheckpoint = true;
            }
            else if (long.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out var seq) && seq >= 1)
            {
                fromSeq = seq;
            }
            else
            {
                return ProblemResults.Validation(new Dictionary<string, string[]>(StringComparer.Ordinal) { ["from"] = ["a position (1 or more) or 'checkpoint' (the latest one)"] });
            }
        }

        if (ReadChain(http, log, out var chain) is { } invalid)
        {
            return invalid;
        }

        var result = await verifier.VerifyAsync(fromSeq, fromCheckpoint, chain, http.RequestAborted);
        var body = new JsonObject { ["verified"] = result.Verified, ["events"] = result.Events, ["checkpoints"] = result.Checkpoints };
        if (!result.Verified)
        {
            body["firstBadEvent"] = result.FirstBadEvent;
            body["chain"] = result.Chain;
            body["reason"] = result.Reason;
            body["detail"] = result.Detail;
        }

        return new JsonNodeResult(body);
    }

    private static async Task<IResult> EventsAsync(HttpContext http, IAuditLog log)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var after = 0L;
        var limit = 100;
        if (http.Request.Query["after"].ToString() is { Length: > 0 } afterText && (!long.TryParse(afterText, NumberStyles.None, CultureInfo.InvariantCulture, out after)))
        {
            errors["after"] = ["a position, 0 or more"];
        }

        if (http.Request.Query["limit"].ToString() is { Length: > 0 } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            errors["limit"] = [$"1 to {MaxLimit}"];
        }

        if (errors.Count > 0)
        {
            return ProblemResults.Validation(errors);
        }

        if (ReadChain(http, log, out var chain) is { } invalid)
        {
            return invalid;
        }

        var entries = await log.ReadAsync(chain ?? 0, after, limit, http.RequestAborted);
        var events = new JsonArray();
        foreach (var entry in entries)
        {
            events.Add(Flatten(entry));
        }

        return new JsonNodeResult(new JsonObject { ["events"] = events, ["next"] = entries.Count > 0 ? entries[^1].Seq : after });
    }

    private static async Task<IResult> CheckpointsAsync(HttpContext http, IAuditLog log)
    {
        var checkpoints = await log.CheckpointsAsync(http.RequestAborted);
        return new JsonNodeResult(new JsonArray([.. checkpoints.Select(c => (JsonNode)new JsonObject
        {
            ["seq"] = c.Seq,
            ["heads"] = new JsonObject(c.Heads.Select(h => KeyValuePair.Create(h.Chain.ToString(CultureInfo.InvariantCulture), (JsonNode?)new JsonObject { ["seq"] = h.Seq, ["hash"] = h.Hash }))),
            ["time"] = c.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["jws"] = c.Jws,
        })]));
    }

    private static IResult? ReadChain(HttpContext http, IAuditLog log, out int? chain)
    {
        chain = null;
        if (http.Request.Query["chain"].ToString() is { Length: > 0 } text)
        {
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed >= log.Chains)
            {
                return ProblemResults.Validation(new Dictionary<string, string[]>(StringComparer.Ordinal) { ["chain"] = [$"a chain number, 0 to {log.Chains - 1}"] });
            }

            chain = parsed;
        }

        return null;
    }

    // An event as the API shows it: its place and hashes around the members of its body, and the body's exact text, which
    // is what its hash covers (a verifier outside the broker hashes that string, not a re-serialization).
    private static JsonObject Flatten(AuditEntry entry)
    {
        var flat = new JsonObject { ["seq"] = entry.Seq, ["chain"] = entry.Chain };
        try
        {
            if (JsonNode.Parse(entry.Body) is JsonObject body)
            {
                foreach (var (name, value) in body.ToList())
                {
                    body.Remove(name);
                    if (name is not ("seq" or "chain" or "prev" or "hash" or "body"))
                    {
                        flat[name] = value;
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON any more (tampered): the raw text below still shows what is there, and verification names it.
        }

        flat["prev"] = entry.Prev;
        flat["hash"] = entry.Hash;
        flat["body"] = entry.Body;
        return flat;
    }

    /// <summary>A JSON answer from a node (the shapes here are documents, not models).</summary>
    private sealed class JsonNodeResult(JsonNode node) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = "application/json";
            httpContext.Response.Headers.CacheControl = "no-store";
            await using var json = new Utf8JsonWriter(httpContext.Response.Body, JsonWriting.WriterOptions);
            node.WriteTo(json);
        }
    }
}
