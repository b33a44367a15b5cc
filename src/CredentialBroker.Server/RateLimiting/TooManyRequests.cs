using System.Globalization;
using CredentialBroker.Abstractions;
using CredentialBroker.Server.OAuth;
using CredentialBroker.Server.Problems;

namespace CredentialBroker.Server.RateLimiting;

/// <summary>
/// The 429 answer of every rate limit, with <c>Retry-After</c> in whole seconds: OAuth endpoints answer
/// <c>{"error": "slow_down", "error_description", "code": "rate-limited"}</c>, REST endpoints problem details with status 429
/// and the same code.
/// </summary>
internal static class TooManyRequests
{
    public static IResult Result(HttpContext http, TimeSpan? retryAfter, string whose)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling((retryAfter ?? TimeSpan.FromSeconds(1)).TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var description = $"Too many requests {whose}; retry after {seconds} s.";
        return http.Request.Path.StartsWithSegments("/oauth2")
            ? OAuthErrors.Error(StatusCodes.Status429TooManyRequests, "slow_down", ErrorCodes.RateLimited, description)
            : ProblemResults.Create(StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited, "Too many requests", description);
    }
}
