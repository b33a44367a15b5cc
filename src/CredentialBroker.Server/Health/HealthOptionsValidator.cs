using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Health;

/// <summary>Validates <see cref="HealthOptions"/> at start; every problem at once.</summary>
internal sealed class HealthOptionsValidator : IValidateOptions<HealthOptions>
{
    public ValidateOptionsResult Validate(string? name, HealthOptions options)
    {
        const string s = HealthOptions.SectionName;
        var failures = new List<string>();
        if (options.ReadinessTimeout < TimeSpan.FromMilliseconds(100) || options.ReadinessTimeout > TimeSpan.FromSeconds(30))
        {
            failures.Add($"{s}:ReadinessTimeout is {options.ReadinessTimeout}; it must lie between 100 ms and 30 s.");
        }

        if (options.ClockDriftCheckInterval < TimeSpan.FromSeconds(1) || options.ClockDriftCheckInterval > TimeSpan.FromHours(1))
        {
            failures.Add($"{s}:ClockDriftCheckInterval is {options.ClockDriftCheckInterval}; it must lie between 1 s and 1 h.");
        }

        if (options.ClockDriftAlarm < TimeSpan.FromSeconds(1) || options.ClockDriftAlarm > TimeSpan.FromSeconds(30))
        {
            failures.Add($"{s}:ClockDriftAlarm is {options.ClockDriftAlarm}; it must lie between 1 s and 30 s.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
