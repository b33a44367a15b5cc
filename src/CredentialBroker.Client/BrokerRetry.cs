using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Retry;

namespace CredentialBroker.Client;

/// <summary>
/// Which failures the resilience handler retries. A broker that answered 503 or 429 did nothing (it says so with
/// <c>Retry-After</c>, which the handler honours), and a connection that was never made carried nothing, so those are
/// retried for any request. Other transient failures — a timeout, a 5xx, a dropped connection — may hide a request the
/// broker handled, so they are retried only for reads and for requests the broker handles idempotently.
/// </summary>
internal static class BrokerRetry
{
    public static ValueTask<bool> ShouldRetry(RetryPredicateArguments<HttpResponseMessage> arguments)
    {
        var request = arguments.Context.GetRequestMessage();
        var repeatable = request is null || request.Method == HttpMethod.Get
            || (request.Options.TryGetValue(BrokerChannel.Idempotent, out var idempotent) && idempotent);
        var outcome = arguments.Outcome;
        var retry = outcome switch
        {
            { Result.StatusCode: HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests } => true,
            { Exception: HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } } => true,
            _ => repeatable && HttpClientResiliencePredicates.IsTransient(outcome),
        };
        return ValueTask.FromResult(retry);
    }
}
