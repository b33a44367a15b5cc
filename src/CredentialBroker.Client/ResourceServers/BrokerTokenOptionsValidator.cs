using Microsoft.Extensions.Options;

namespace CredentialBroker.Client.ResourceServers;

/// <summary>Checks <see cref="BrokerTokenOptions"/> at start, reporting every problem at once.</summary>
internal sealed class BrokerTokenOptionsValidator : IValidateOptions<BrokerTokenOptions>
{
    private static readonly string[] DpopAlgorithms = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];

    public ValidateOptionsResult Validate(string? name, BrokerTokenOptions options)
    {
        var failures = new List<string>();
        var prefix = $"CredentialBroker resource server scheme '{name}':";
        if (!Uri.TryCreate(options.Issuer, UriKind.Absolute, out var issuer))
        {
            failures.Add($"{prefix} Issuer must be the broker's absolute issuer URL.");
        }
        else if (options.RequireHttps && issuer.Scheme != Uri.UriSchemeHttps)
        {
            failures.Add($"{prefix} Issuer must be HTTPS (RequireHttps is on).");
        }

        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add($"{prefix} Audience is required: this resource server's identifier, as the broker puts it in aud.");
        }

        else if (options.AdvertiseResourceMetadata && ProtectedResourceMetadata.Problem(options.Audience, options.RequireHttps) is { } problem)
        {
            failures.Add($"{prefix} Audience {problem}: with AdvertiseResourceMetadata it must be this resource's URL (RFC 9728), without query or fragment.");
        }

        if (options.CallerToken is null)
        {
            failures.Add($"{prefix} CallerToken is required: this resource server's JWT-SVID for the feed and introspection.");
        }

        if (options.PresenterId is null)
        {
            failures.Add($"{prefix} PresenterId is required: how the presenting workload's SPIFFE ID is known.");
        }

        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromSeconds(30))
        {
            failures.Add($"{prefix} ClockSkew must be between 0 and 30 s.");
        }

        if (options.FeedStaleAfter <= TimeSpan.Zero)
        {
            failures.Add($"{prefix} FeedStaleAfter must be positive (and longer than the broker's 5 s heartbeat).");
        }

        if (options.JwksRefreshInterval < TimeSpan.FromMinutes(1))
        {
            failures.Add($"{prefix} JwksRefreshInterval must be at least 1 min.");
        }

        if (options.MaxReconnectDelay < TimeSpan.FromSeconds(1))
        {
            failures.Add($"{prefix} MaxReconnectDelay must be at least 1 s.");
        }

        foreach (var algorithm in options.DpopAlgorithms)
        {
            if (!DpopAlgorithms.Contains(algorithm))
            {
                failures.Add($"{prefix} DpopAlgorithms holds '{algorithm}'; only asymmetric algorithms are allowed: {string.Join(", ", DpopAlgorithms)}.");
            }
        }

        if (options.DpopAlgorithms.Count == 0)
        {
            failures.Add($"{prefix} DpopAlgorithms must name at least one algorithm.");
        }

        if (options.DpopProofMaxAge < TimeSpan.FromSeconds(5) || options.DpopProofMaxAge > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{prefix} DpopProofMaxAge must be between 5 s and 5 min.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
