using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>Validates <see cref="RedisStoreOptions"/> at start, reporting every problem at once.</summary>
internal sealed class RedisStoreOptionsValidator : IValidateOptions<RedisStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisStoreOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add("ConnectionStrings:Redis is required for the Redis store.");
        }
        else
        {
            try
            {
                ConfigurationOptions.Parse(options.ConnectionString);
            }
            catch (ArgumentException ex)
            {
                failures.Add($"ConnectionStrings:Redis is not a valid StackExchange.Redis configuration: {ex.Message}");
            }
        }

        if (string.IsNullOrEmpty(options.KeyPrefix) || !options.KeyPrefix.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
        {
            failures.Add($"{RedisStoreOptions.SectionName}:KeyPrefix '{options.KeyPrefix}' may hold only letters, digits, '-', '_', '.' and ':'.");
        }

        if (options.ExpiryIndexShards is < 1 or > 1024)
        {
            failures.Add($"{RedisStoreOptions.SectionName}:ExpiryIndexShards is {options.ExpiryIndexShards}; it must lie between 1 and 1024.");
        }

        if (options.OperationTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{RedisStoreOptions.SectionName}:OperationTimeout must be positive.");
        }

        if (options.RetryAttempts is < 0 or > 10)
        {
            failures.Add($"{RedisStoreOptions.SectionName}:RetryAttempts is {options.RetryAttempts}; it must lie between 0 and 10.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
