using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace CredentialBroker.Server.Problems;

/// <summary>Reads a JSON request body strictly, turning every way it can be wrong into problem details.</summary>
internal static class JsonBody
{
    public static async ValueTask<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, ProblemResults.UnsupportedMediaType("The body must be application/json."));
        }

        try
        {
            var value = await JsonSerializer.DeserializeAsync(request.Body, typeInfo, request.HttpContext.RequestAborted);
            return value is null ? (null, ProblemResults.BadRequest("The body must be a JSON object.")) : (value, null);
        }
        catch (JsonException ex)
        {
            // The serializer's message names the path and position, never the offending value.
            var where = ex.Path is null ? string.Empty : $" at {ex.Path}";
            return (null, ProblemResults.BadRequest($"The body is not valid JSON for this endpoint{where}: unknown or duplicate member, wrong type, or malformed JSON."));
        }
    }
}
