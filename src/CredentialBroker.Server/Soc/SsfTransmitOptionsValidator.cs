using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Soc;

/// <summary>Validates <see cref="SsfTransmitOptions"/>, reporting every failure at once.</summary>
internal sealed class SsfTransmitOptionsValidator : IValidateOptions<SsfTransmitOptions>
{
    public ValidateOptionsResult Validate(string? name, SsfTransmitOptions options)
    {
        const string s = SsfTransmitOptions.SectionName;
        var failures = new List<string>();
        Positive(failures, $"{s}:DeliveryInterval", options.DeliveryInterval);
        Positive(failures, $"{s}:RetryInitialDelay", options.RetryInitialDelay);
        Positive(failures, $"{s}:PushTimeout", options.PushTimeout);
        if (options.RetryMaxDelay < options.RetryInitialDelay)
        {
            failures.Add($"{s}:RetryMaxDelay ({options.RetryMaxDelay}) must be at least RetryInitialDelay ({options.RetryInitialDelay}).");
        }

        if (options.PushBatchSize is < 1 or > 10_000)
        {
            failures.Add($"{s}:PushBatchSize must be between 1 and 10000.");
        }

        if (options.MaxPollEvents is < 1 or > 10_000)
        {
            failures.Add($"{s}:MaxPollEvents must be between 1 and 10000.");
        }

        if (options.MaxPendingEvents is < 1 or > 10_000_000)
        {
            failures.Add($"{s}:MaxPendingEvents must be between 1 and 10000000.");
        }

        if (options.MaxStreams is < 1 or > 1_000)
        {
            failures.Add($"{s}:MaxStreams must be between 1 and 1000.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Positive(List<string> failures, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{name} must be positive.");
        }
    }
}
