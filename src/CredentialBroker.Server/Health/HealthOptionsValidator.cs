using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Health;

/// <summary>Validates <see cref="HealthOptions"/> at start.</summary>
internal sealed class HealthOptionsValidator : IValidateOptions<HealthOptions>
{
    public ValidateOptionsResult Validate(string? name, HealthOptions options) =>
        options.ReadinessTimeout < TimeSpan.FromMilliseconds(100) || options.ReadinessTimeout > TimeSpan.FromSeconds(30)
            ? ValidateOptionsResult.Fail($"{HealthOptions.SectionName}:ReadinessTimeout is {options.ReadinessTimeout}; it must lie between 100 ms and 30 s.")
            : ValidateOptionsResult.Success;
}
