using CredentialBroker.Abstractions;
using CredentialBroker.Server.OAuth;
using Microsoft.AspNetCore.Diagnostics;

namespace CredentialBroker.Server.Problems;

/// <summary>The last resort: a 500 without a stack trace or any detail of the failure; the log gets the exception.</summary>
internal sealed partial class UnhandledExceptionHandler(ILogger<UnhandledExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is BadHttpRequestException badRequest)
        {
            var status = badRequest.StatusCode;
            await (httpContext.Request.Path.StartsWithSegments("/oauth2")
                ? OAuthErrors.InvalidRequest(ErrorCodes.FormInvalid, "The request is malformed or too large.")
                : ProblemResults.Create(status, ErrorCodes.BadRequest, "Bad request", "The request is malformed or too large.")).ExecuteAsync(httpContext);
            return true;
        }

        LogUnhandled(logger, exception, httpContext.Request.Path);
        await (httpContext.Request.Path.StartsWithSegments("/oauth2")
            ? OAuthErrors.Error(StatusCodes.Status500InternalServerError, "server_error", ErrorCodes.Internal, "The broker failed to handle the request.")
            : ProblemResults.Create(StatusCodes.Status500InternalServerError, ErrorCodes.Internal, "Internal error", "The broker failed to handle the request.")).ExecuteAsync(httpContext);
        return true;
    }

    [LoggerMessage(EventId = 1501, EventName = "UnhandledException", Level = LogLevel.Error, Message = "Unhandled exception on {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, PathString path);
}
