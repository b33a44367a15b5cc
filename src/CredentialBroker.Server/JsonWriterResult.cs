using System.Text.Json;

namespace CredentialBroker.Server;

/// <summary>
/// A response body written member by member with <see cref="Utf8JsonWriter"/>: for the OAuth and discovery
/// answers whose exact shape an RFC fixes, and for copying a token's claims without a model class.
/// </summary>
internal sealed class JsonWriterResult(Action<Utf8JsonWriter> writeMembers, int status = StatusCodes.Status200OK, string cacheControl = "no-store", string? wwwAuthenticate = null) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.Headers.CacheControl = cacheControl;
        if (cacheControl == "no-store")
        {
            response.Headers.Pragma = "no-cache";
        }

        if (wwwAuthenticate is not null)
        {
            response.Headers.WWWAuthenticate = wwwAuthenticate;
        }

        await using var json = new Utf8JsonWriter(response.Body, JsonWriting.WriterOptions);
        json.WriteStartObject();
        writeMembers(json);
        json.WriteEndObject();
    }
}
