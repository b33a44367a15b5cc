using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Server.Identity;
using CredentialBroker.Server.Problems;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Soc;

/// <summary>
/// The Shared Signals transmitter's endpoints (OpenID SSF 1.0): the transmitter configuration metadata at
/// <c>/.well-known/ssf-configuration</c> (§7), stream management for the SOC and operators (§8.1: configuration, status,
/// verification) and poll delivery (RFC 8936) for receivers. Management errors are RFC 9457 problem details; poll errors
/// are RFC 8936's <c>{err, description}</c>.
/// </summary>
internal static class SsfStreamEndpoints
{
    private const int MaxPollBody = 64 * 1024;

    public static void MapSsfStreamEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/.well-known/ssf-configuration", Metadata).AllowAnonymous();
        app.MapPost(SsfTransmitter.ConfigurationPath, CreateAsync).RequireAuthorization(BrokerPolicies.SocOrOperator);
        app.MapGet(SsfTransmitter.ConfigurationPath, ReadAsync).RequireAuthorization(BrokerPolicies.SocOrOperator);
        app.MapPatch(SsfTransmitter.ConfigurationPath, (HttpContext http, SsfTransmitter transmitter) => UpdateAsync(http, transmitter, replace: false)).RequireAuthorization(BrokerPolicies.SocOrOperator);
        app.MapPut(SsfTransmitter.ConfigurationPath, (HttpContext http, SsfTransmitter transmitter) => UpdateAsync(http, transmitter, replace: true)).RequireAuthorization(BrokerPolicies.SocOrOperator);
        app.MapDelete(SsfTransmitter.ConfigurationPath, DeleteAsync).RequireAuthorization(BrokerPolicies.SocOrOperator);
        app.MapGet(SsfTransmitter.StatusPath, StatusAsync).RequireAuthorization(BrokerPolicies.SocOrOperator);
        app.MapPost(SsfTransmitter.StatusPath, SetStatusAsync).RequireAuthorization(BrokerPolicies.SocOrOperator);
        app.MapPost(SsfTransmitter.VerificationPath, VerifyAsync).RequireAuthorization(BrokerPolicies.SocOrOperator);
        app.MapPost(SsfTransmitter.PollPath + "/{streamId}", PollAsync).RequireAuthorization(BrokerPolicies.ResourceServerOrSoc);
    }

    private static JsonWriterResult Metadata(IOptions<CredentialBrokerOptions> options) => new(json =>
    {
        var issuer = options.Value.Issuer!;
        json.WriteString("spec_version", "1_0");
        json.WriteString("issuer", issuer);
        json.WriteString("jwks_uri", issuer + "/.well-known/jwks.json");
        json.WriteStartArray("delivery_methods_supported");
        json.WriteStringValue(SsfTransmitter.PushMethod);
        json.WriteStringValue(SsfTransmitter.PollMethod);
        json.WriteEndArray();
        json.WriteString("configuration_endpoint", issuer + SsfTransmitter.ConfigurationPath);
        json.WriteString("status_endpoint", issuer + SsfTransmitter.StatusPath);
        json.WriteString("verification_endpoint", issuer + SsfTransmitter.VerificationPath);

        // Callers authenticate with an SVID: a JWT-SVID as a bearer token (RFC 6750) or an X.509-SVID over mutual TLS (RFC 8705).
        json.WriteStartArray("authorization_schemes");
        foreach (var urn in (string[])["urn:ietf:rfc:6750", "urn:ietf:rfc:8705"])
        {
            json.WriteStartObject();
            json.WriteString("spec_urn", urn);
            json.WriteEndObject();
        }

        json.WriteEndArray();

        // Every revoked credential is a subject of every stream: there are no subjects to add or remove.
        json.WriteString("default_subjects", "ALL");
    }, cacheControl: "public, max-age=300");

    private static async Task<IResult> CreateAsync(HttpContext http, SsfTransmitter transmitter)
    {
        var (request, error) = await JsonBody.ReadAsync(http.Request, ServerJsonContext.Default.JsonObject);
        if (error is not null)
        {
            return error;
        }

        var (stream, errors) = await transmitter.CreateAsync(http.Caller().Id.Value, request!, http.RequestAborted);
        return stream is null
            ? ProblemResults.Validation(errors!)
            : new NodeResult(Describe(transmitter, stream), StatusCodes.Status201Created, $"{SsfTransmitter.ConfigurationPath}?stream_id={stream.StreamId}");
    }

    private static async Task<IResult> ReadAsync(HttpContext http, SsfTransmitter transmitter, string? stream_id)
    {
        if (stream_id is null)
        {
            return new NodeResult(new JsonArray([.. (await transmitter.ListAsync(http.RequestAborted)).Select(s => (JsonNode)Describe(transmitter, s))]));
        }

        var stream = await transmitter.GetAsync(stream_id, http.RequestAborted);
        return stream is null ? NoSuchStream(stream_id) : new NodeResult(Describe(transmitter, stream));
    }

    private static async Task<IResult> UpdateAsync(HttpContext http, SsfTransmitter transmitter, bool replace)
    {
        var (request, error) = await JsonBody.ReadAsync(http.Request, ServerJsonContext.Default.JsonObject);
        if (error is not null)
        {
            return error;
        }

        var (stream, errors) = await transmitter.UpdateAsync(http.Caller().Id.Value, request!, replace, http.RequestAborted);
        return stream is null ? Refused(errors!, request!) : new NodeResult(Describe(transmitter, stream));
    }

    private static async Task<IResult> DeleteAsync(HttpContext http, SsfTransmitter transmitter, string? stream_id)
    {
        if (stream_id is null)
        {
            return ProblemResults.BadRequest("stream_id is required (a query parameter).");
        }

        return await transmitter.DeleteAsync(http.Caller().Id.Value, stream_id, http.RequestAborted) ? TypedResults.NoContent() : NoSuchStream(stream_id);
    }

    private static async Task<IResult> StatusAsync(HttpContext http, SsfTransmitter transmitter, string? stream_id)
    {
        if (stream_id is null)
        {
            return ProblemResults.BadRequest("stream_id is required (a query parameter).");
        }

        var stream = await transmitter.GetAsync(stream_id, http.RequestAborted);
        return stream is null ? NoSuchStream(stream_id) : new NodeResult(Status(stream));
    }

    private static async Task<IResult> SetStatusAsync(HttpContext http, SsfTransmitter transmitter)
    {
        var (request, error) = await JsonBody.ReadAsync(http.Request, ServerJsonContext.Default.JsonObject);
        if (error is not null)
        {
            return error;
        }

        var (stream, errors) = await transmitter.SetStatusAsync(http.Caller().Id.Value, request!, http.RequestAborted);
        return stream is null ? Refused(errors!, request!) : new NodeResult(Status(stream));
    }

    private static async Task<IResult> VerifyAsync(HttpContext http, SsfTransmitter transmitter)
    {
        var (request, error) = await JsonBody.ReadAsync(http.Request, ServerJsonContext.Default.JsonObject);
        if (error is not null)
        {
            return error;
        }

        var errors = await transmitter.VerifyAsync(request!, http.RequestAborted);
        return errors is null ? TypedResults.NoContent() : Refused(errors, request!);
    }

    private static async Task<IResult> PollAsync(string streamId, HttpContext http, SsfTransmitter transmitter)
    {
        var mediaType = http.Request.ContentType?.Split(';')[0].Trim();
        if (!string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            return PollError(StatusCodes.Status400BadRequest, "invalid_request", "The poll request must be application/json (RFC 8936 §2.4).");
        }

        JsonObject? request;
        try
        {
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
            var buffer = new char[MaxPollBody + 1];
            var read = await reader.ReadBlockAsync(buffer.AsMemory(), http.RequestAborted);
            if (read > MaxPollBody)
            {
                return PollError(StatusCodes.Status400BadRequest, "invalid_request", "The poll request is larger than 64 KiB.");
            }

            request = JsonNode.Parse(buffer.AsSpan(0, read).ToString(), documentOptions: new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false }) as JsonObject;
        }
        catch (JsonException)
        {
            request = null;
        }

        if (request is null)
        {
            return PollError(StatusCodes.Status400BadRequest, "invalid_request", "The poll request must be a JSON object.");
        }

        var outcome = await transmitter.PollAsync(streamId, http.Caller().Id.Value, http.User.IsInRole(BrokerPolicies.RoleName(BrokerRoles.Soc)), request, http.RequestAborted);
        if (outcome.Error is { } refused)
        {
            return PollError((int)refused.Status, refused.Err, refused.Description);
        }

        var sets = new JsonObject();
        foreach (var (jti, set) in outcome.Sets)
        {
            sets[jti] = set;
        }

        return new NodeResult(new JsonObject { ["sets"] = sets, ["moreAvailable"] = outcome.MoreAvailable });
    }

    /// <summary>A stream as SSF 1.0 §8.1.1 describes it. The push authorization header is never returned.</summary>
    private static JsonObject Describe(SsfTransmitter transmitter, SsfStream stream)
    {
        var delivery = new JsonObject { ["method"] = stream.Method, ["endpoint_url"] = stream.EndpointUrl ?? transmitter.PollUrl(stream.StreamId) };
        var body = new JsonObject
        {
            ["stream_id"] = stream.StreamId,
            ["iss"] = transmitter.Issuer,
            ["aud"] = stream.Audience,
            ["delivery"] = delivery,
            ["events_supported"] = new JsonArray([.. SsfTransmitter.EventsSupported.Select(e => (JsonNode)e)]),
            ["events_requested"] = new JsonArray([.. stream.EventsRequested.Select(e => (JsonNode)e)]),
            ["events_delivered"] = new JsonArray([.. stream.EventsDelivered.Select(e => (JsonNode)e)]),
        };
        if (stream.Description is not null)
        {
            body["description"] = stream.Description;
        }

        return body;
    }

    private static JsonObject Status(SsfStream stream)
    {
        var body = new JsonObject { ["stream_id"] = stream.StreamId, ["status"] = stream.Status };
        if (stream.Reason is not null)
        {
            body["reason"] = stream.Reason;
        }

        return body;
    }

    /// <summary>A request naming a stream that does not exist is 404 (SSF §8.1.1); anything else wrong with it is 400.</summary>
    private static IResult Refused(FieldErrors errors, JsonObject request) =>
        errors.ToDictionary().Count == 1 && errors.ToDictionary().TryGetValue("stream_id", out var messages) && messages.All(m => m.StartsWith(SsfTransmitter.NoSuchStreamPrefix, StringComparison.Ordinal))
            ? NoSuchStream(request["stream_id"]?.ToString() ?? string.Empty)
            : ProblemResults.Validation(errors);

    private static IResult NoSuchStream(string streamId) => ProblemResults.NotFound($"There is no stream '{streamId}'.");

    private static NodeResult PollError(int status, string err, string description) =>
        new(new JsonObject { ["err"] = err, ["description"] = description }, status);

    /// <summary>A JSON body written as is, never cached.</summary>
    private sealed class NodeResult(JsonNode body, int status = StatusCodes.Status200OK, string? location = null) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = "application/json";
            response.Headers.CacheControl = "no-store";
            if (location is not null)
            {
                response.Headers.Location = location;
            }

            await using var json = new Utf8JsonWriter(response.Body, JsonWriting.WriterOptions);
            body.WriteTo(json);
        }
    }
}
