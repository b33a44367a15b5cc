using System.Net;
using CredentialBroker.Downstream.Providers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;

namespace CredentialBroker.Downstream.Vault;

/// <summary>
/// The HttpClient every <c>vault</c> provider uses: one named client, one resilience pipeline per provider (selected by
/// the provider name each request carries), built from that provider's validated options.
/// </summary>
internal static class VaultHttp
{
    /// <summary>The named client, for <c>IHttpClientFactory.CreateClient</c> (and for tests that swap its primary handler).</summary>
    public const string ClientName = "CredentialBroker.Downstream.Vault";

    /// <summary>The resilience handler's name (its telemetry carries it).</summary>
    public const string PipelineName = "vault";

    /// <summary>Largest answer read from Vault; a lease's secret is a few hundred bytes.</summary>
    public const int MaxResponseBytes = 1 << 20;

    /// <summary>Longest backoff between two retries.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>Which provider a request belongs to: selects its pipeline.</summary>
    public static readonly HttpRequestOptionsKey<string> Provider = new("CredentialBroker.Vault.Provider");

    /// <summary>
    /// Whether the request may be sent again after an outcome that leaves open whether Vault acted on it (a timeout, a
    /// dropped connection, 500, 502, 504). False for a credentials read: a second read after a first that Vault did
    /// serve would create a second lease the broker never learns of.
    /// </summary>
    public static readonly HttpRequestOptionsKey<bool> ResendWhenUncertain = new("CredentialBroker.Vault.ResendWhenUncertain");

    /// <summary>Registers the named client and its pipeline once.</summary>
    public static void AddVaultHttpClient(this IServiceCollection services)
    {
        services.AddHttpClient(ClientName, static client =>
            {
                // Each attempt has its own timeout in the pipeline; the client itself never gives up first.
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.MaxResponseContentBufferSize = MaxResponseBytes;
            })
            // A redirect would carry X-Vault-Token to wherever it points (only Authorization is dropped on redirect).
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler { AllowAutoRedirect = false })
            // IHttpClientFactory's default request logging is removed: RedactLoggedHeaders hides header values in the
            // formatted message only, while the log's structured state still carries them (X-Vault-Token included),
            // where a structured log sink would store them. The client logs its calls itself.
            .RemoveAllLoggers()
            .AddResilienceHandler(PipelineName, static (builder, context) =>
            {
                var options = OptionsFor(context.ServiceProvider, context.InstanceName);
                if (options.RetryAttempts > 0)
                {
                    builder.AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = options.RetryAttempts,
                        Delay = options.RetryDelay,
                        MaxDelay = MaxRetryDelay,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        ShouldRetryAfterHeader = true,
                        ShouldHandle = static args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context.GetRequestMessage())),
                    });
                }

                builder.AddTimeout(options.Timeout);
            })
            .SelectPipelineBy(static _ => static request => request.Options.TryGetValue(Provider, out var name) ? name : string.Empty);
    }

    /// <summary>
    /// Whether an attempt's outcome is worth another attempt: Vault surely did not act (429, 412, 503, no connection),
    /// or it may have but the call is safe to repeat (a timeout, a dropped connection, 408, 500, 502, 504).
    /// </summary>
    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, HttpRequestMessage? request)
    {
        var resend = request is null || !request.Options.TryGetValue(ResendWhenUncertain, out var flag) || flag;
        if (outcome.Exception is { } exception)
        {
            return exception switch
            {
                HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } => true,
                HttpRequestException or TimeoutRejectedException => resend,
                _ => false,
            };
        }

        return outcome.Result?.StatusCode switch
        {
            HttpStatusCode.TooManyRequests or HttpStatusCode.PreconditionFailed or HttpStatusCode.ServiceUnavailable => true,
            HttpStatusCode.RequestTimeout or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout => resend,
            _ => false,
        };
    }

    /// <summary>Whether a final status means "try again later" rather than "refused".</summary>
    public static bool IsTransient(int status) => status is 408 or 412 or 429 || (status >= 500 && status != 501);

    private static VaultProviderOptions OptionsFor(IServiceProvider services, string provider) =>
        services.GetRequiredService<IOptions<DownstreamOptions>>().Value.Providers.TryGetValue(provider, out var settings)
            ? settings.Vault
            : new VaultProviderOptions();
}
