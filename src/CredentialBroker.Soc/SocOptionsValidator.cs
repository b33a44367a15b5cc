using Microsoft.Extensions.Options;

namespace CredentialBroker.Soc;

/// <summary>Refuses SOC settings that cannot work.</summary>
public sealed class SocOptionsValidator : IValidateOptions<SocOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SocOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.RuleRefreshInterval <= TimeSpan.Zero || options.RuleRefreshInterval > TimeSpan.FromSeconds(10))
        {
            failures.Add("CredentialBroker:Soc:RuleRefreshInterval must be above zero and at most 10 seconds (other replicas learn of revocations at this pace).");
        }

        if (options.ProgressInterval <= TimeSpan.Zero)
        {
            failures.Add("CredentialBroker:Soc:ProgressInterval must be above zero.");
        }

        if (options.Concurrency is < 1 or > 1024)
        {
            failures.Add("CredentialBroker:Soc:Concurrency must be 1 to 1024.");
        }

        if (options.Lease < options.ProgressInterval * 4)
        {
            failures.Add("CredentialBroker:Soc:Lease must be at least four ProgressIntervals.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
