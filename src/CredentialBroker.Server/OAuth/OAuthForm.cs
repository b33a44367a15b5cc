using CredentialBroker.Abstractions;
using Microsoft.AspNetCore.Http.Features;

namespace CredentialBroker.Server.OAuth;

/// <summary>
/// Reads the form body of an OAuth request strictly: form-encoded only, no parameters in the query string,
/// no repeated parameters (RFC 6749 §3.1: "request and response parameters MUST NOT be included more than once").
/// </summary>
internal static class OAuthForm
{
    public static async ValueTask<(IFormCollection? Form, IResult? Error)> ReadAsync(HttpRequest request)
    {
        if (request.QueryString.HasValue)
        {
            return (null, OAuthErrors.InvalidRequest(ErrorCodes.FormInvalid, "Parameters in the query string are not accepted; send them in the form body."));
        }

        if (!request.HasFormContentType || !string.Equals(request.ContentType?.Split(';')[0].Trim(), "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return (null, OAuthErrors.InvalidRequest(ErrorCodes.FormInvalid, "The body must be application/x-www-form-urlencoded."));
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        }
        catch (InvalidDataException)
        {
            return (null, OAuthErrors.InvalidRequest(ErrorCodes.FormInvalid, "The form body is malformed or too large."));
        }
        catch (BadHttpRequestException)
        {
            return (null, OAuthErrors.InvalidRequest(ErrorCodes.FormInvalid, "The form body is malformed or too large."));
        }

        foreach (var (name, values) in form)
        {
            if (values.Count > 1)
            {
                return (null, OAuthErrors.InvalidRequest(ErrorCodes.FormInvalid, $"The parameter '{Truncate(name)}' is repeated."));
            }
        }

        return (form, null);
    }

    public static FormOptions Limits => new()
    {
        ValueLengthLimit = 64 * 1024,
        KeyLengthLimit = 256,
        ValueCountLimit = 32,
        MultipartBodyLengthLimit = 64 * 1024,
    };

    private static string Truncate(string name) => name.Length <= 64 ? name : name[..64] + "…";
}
