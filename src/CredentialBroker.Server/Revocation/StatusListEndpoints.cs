using System.Globalization;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core.Revocation;
using CredentialBroker.Server.Problems;

namespace CredentialBroker.Server.Revocation;

/// <summary>
/// The Token Status Lists (draft-ietf-oauth-status-list), public like the JWKS: each list as a signed <c>statuslist+jwt</c>
/// (§8.2, cacheable for the list's <c>ttl</c>), and the Status List Aggregation (§9) naming every list.
/// </summary>
internal static class StatusListEndpoints
{
    public static void MapStatusListEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(StatusLists.Path, AggregationAsync).AllowAnonymous();
        app.MapGet(StatusLists.Path + "/{list}", ListAsync).AllowAnonymous();
    }

    private static async Task<IResult> AggregationAsync(StatusListPublisher publisher, CancellationToken cancellationToken)
    {
        var uris = await publisher.GetUrisAsync(cancellationToken);
        return new JsonWriterResult(json =>
        {
            json.WriteStartArray("status_lists");
            foreach (var uri in uris)
            {
                json.WriteStringValue(uri);
            }

            json.WriteEndArray();
        }, cacheControl: "no-cache");
    }

    private static async Task<IResult> ListAsync(string list, HttpContext http, StatusListPublisher publisher, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
    {
        if (await publisher.GetAsync(list, http.RequestAborted) is not { } token)
        {
            return ProblemResults.NotFound("There is no such status list.");
        }

        var maxAge = Math.Max(0, (long)Math.Floor((token.FreshUntil - time.GetUtcNow()).TotalSeconds));
        http.Response.Headers.CacheControl = "public, max-age=" + maxAge.ToString(CultureInfo.InvariantCulture);
        return Results.Text(token.Jwt, StatusLists.MediaType);
    }
}
