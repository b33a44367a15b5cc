using Microsoft.Extensions.Options;

namespace CredentialBroker.Downstream.Providers;

/// <summary>Validates every provider at start, reporting all problems at once.</summary>
internal sealed class DownstreamOptionsValidator(IEnumerable<ISecretProviderKind> kinds) : IValidateOptions<DownstreamOptions>
{
    public ValidateOptionsResult Validate(string? name, DownstreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var known = kinds.ToDictionary(k => k.Kind, StringComparer.Ordinal);
        var failures = new List<string>();
        var resources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (provider, settings) in options.Providers)
        {
            var at = $"{DownstreamOptions.SectionName}:Providers:{provider}";
            if (!ProviderNames.IsValid(provider))
            {
                failures.Add($"{at}: the provider name must be 1 to 64 letters, digits, '-' or '_'.");
            }

            if (string.IsNullOrWhiteSpace(settings.Resource))
            {
                failures.Add($"{at}:Resource is required: the destination string grants and exchanges name, e.g. postgres://payments.");
            }
            else if (resources.TryGetValue(settings.Resource, out var other))
            {
                failures.Add($"{at}:Resource '{settings.Resource}' is already served by provider '{other}'; one provider per resource.");
            }
            else
            {
                resources[settings.Resource] = provider;
            }

            if (settings.MaxTtl <= TimeSpan.Zero)
            {
                failures.Add($"{at}:MaxTtl must be positive.");
            }

            if (settings.Kind is null || !known.TryGetValue(settings.Kind, out var kind))
            {
                failures.Add($"{at}:Kind must be one of {string.Join(", ", known.Keys.Order(StringComparer.Ordinal))}.");
                continue;
            }

            kind.Validate(provider, settings, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
