using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace CredentialBroker.Revoker;

/// <summary>
/// The revoker's resilience pipeline for downstream revocations, registered once with Polly's DI integration (so it
/// runs on the container's clock and reports telemetry): exponential backoff with jitter between attempts, the number
/// of attempts and the first delay from the validated <see cref="RevokerOptions"/>. What still fails is marked
/// irrevocable by the processor and retried on a slower cadence.
/// </summary>
public static class RevokerPipelines
{
    /// <summary>The pipeline's key.</summary>
    public const string DownstreamRevocation = "credentialbroker-downstream-revocation";

    /// <summary>Registers the pipeline (idempotent).</summary>
    public static IServiceCollection AddRevokerPipelines(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(RevokerPipelinesMarker)))
        {
            return services;
        }

        services.AddSingleton<RevokerPipelinesMarker>();
        services.AddResiliencePipeline(DownstreamRevocation, (builder, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptions<RevokerOptions>>().Value;
            if (options.DownstreamAttempts > 1)
            {
                builder.AddRetry(new RetryStrategyOptions
                {
                    ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
                    MaxRetryAttempts = options.DownstreamAttempts - 1,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = options.DownstreamRetryDelay,
                });
            }
        });
        return services;
    }

    private sealed class RevokerPipelinesMarker;
}
