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

        if (options.SocIndexShards is < 1 or > 1024)
        {
            failures.Add($"{RedisStoreOptions.SectionName}:SocIndexShards is {options.SocIndexShards}; it must lie between 1 and 1024.");
        }

        if (options.AuditChains is < 1 or > 1024)
        {
            failures.Add($"{RedisStoreOptions.SectionName}:AuditChains is {options.AuditChains}; it must lie between 1 and 1024.");
        }

        if (options.WorkQueueShards is < 1 or > 256)
        {
            failures.Add($"{RedisStoreOptions.SectionName}:WorkQueueShards is {options.WorkQueueShards}; it must lie between 1 and 256.");
        }

        if (options.WaitForReplicas is < 0 or > 16)
        {
            failures.Add($"{RedisStoreOptions.SectionName}:WaitForReplicas is {options.WaitForReplicas}; it must lie between 0 and 16.");
        }

        if (options.ReplicaWaitTimeout <= TimeSpan.Zero || options.ReplicaWaitTimeout >= options.OperationTimeout)
        {
            failures.Add($"{RedisStoreOptions.SectionName}:ReplicaWaitTimeout must be above zero and below OperationTimeout ({options.OperationTimeout}).");
        }

        if (options.OperationTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{RedisStoreOptions.SectionName}:OperationTimeout must be positive.");
        }

        if (options.RetryAttempts is < 0 or > 10)
        {
            failures.Add($"{RedisStoreOptions.SectionName}:RetryAttempts is {options.RetryAttempts}; it must lie between 0 and 10.");
        }

        if (options.RetryDelay <= TimeSpan.Zero || options.RetryDelay > TimeSpan.FromSeconds(5))
        {
            failures.Add($"{RedisStoreOptions.SectionName}:RetryDelay must be above zero and at most 5 seconds.");
        }

        if (options.BreakFailureRatio is <= 0 or > 1)
        {
            failures.Add($"{RedisStoreOptions.SectionName}:BreakFailureRatio is {options.BreakFailureRatio}; it must be above 0 and at most 1.");
        }

        if (options.BreakMinimumThroughput < 2)
        {
            failures.Add($"{RedisStoreOptions.SectionName}:BreakMinimumThroughput must be at least 2.");
        }

        if (options.BreakSamplingDuration < TimeSpan.FromMilliseconds(500))
        {
            failures.Add($"{RedisStoreOptions.SectionName}:BreakSamplingDuration must be at least 500 ms.");
        }

        if (options.BreakDuration < TimeSpan.FromMilliseconds(500))
        {
            failures.Add($"{RedisStoreOptions.SectionName}:BreakDuration must be at least 500 ms.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
