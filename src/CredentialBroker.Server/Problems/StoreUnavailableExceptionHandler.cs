using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Server.OAuth;
using Microsoft.AspNetCore.Diagnostics;

namespace CredentialBroker.Server.Problems;

/// <summary>
/// Fails closed: when the store cannot be reached nothing is issued and nothing is called active. REST
/// endpoints answer 503 problem details, OAuth endpoints 503 <c>temporarily_unavailable</c>; both with <c>Retry-After</c>.
/// </summary>
internal sealed partial class StoreUnavailableExceptionHandler(ILogger<StoreUnavailableExceptionHandler> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 1;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not StoreUnavailableException)
        {
            return false;
        }

        LogUnavailable(logger, httpContext.Request.Path, exception.InnerException?.Message ?? exception.Message);
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var result = httpContext.Request.Path.StartsWithSegments("/oauth2")
            ? OAuthErrors.Error(StatusCodes.Status503ServiceUnavailable, "temporarily_unavailable", ErrorCodes.StoreUnavailable, "The credential store is unavailable; nothing was issued or changed. Retry later.")
            : ProblemResults.Create(StatusCodes.Status503ServiceUnavailable, ErrorCodes.StoreUnavailable, "Store unavailable",
                "The credential store is unavailable; nothing was issued or changed. Retry later.");
        await result.ExecuteAsync(httpContext);
        return true;
    }

    [LoggerMessage(EventId = 1500, EventName = "StoreUnavailable", Level = LogLevel.Error,
        Message = "The store is unavailable ({Cause}); failed closed on {Path}")]
    private static partial void LogUnavailable(ILogger logger, PathString path, string cause);
}
