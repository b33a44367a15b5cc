using CredentialBroker.Abstractions;
using CredentialBroker.Core;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Revocation;

/// <summary>Validates <see cref="RevocationFeedOptions"/>: the retention must outlast every credential.</summary>
internal sealed class RevocationFeedOptionsValidator(IOptions<CredentialBrokerOptions> broker) : IValidateOptions<RevocationFeedOptions>
{
    public ValidateOptionsResult Validate(string? name, RevocationFeedOptions options)
    {
        const string s = RevocationFeedOptions.SectionName;
        var failures = new List<string>();
        if (options.PollInterval <= TimeSpan.Zero)
        {
            failures.Add($"{s}:PollInterval must be positive.");
        }

        if (options.HeartbeatInterval <= TimeSpan.Zero)
        {
            failures.Add($"{s}:HeartbeatInterval must be positive.");
        }

        var longest = broker.Value.MaxTaskTtl + broker.Value.ClockSkew;
        if (options.Retention <= longest)
        {
            failures.Add($"{s}:Retention ({options.Retention}) must exceed the longest credential lifetime plus clock skew ({longest}), or a resource server could miss a revocation that still matters.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
