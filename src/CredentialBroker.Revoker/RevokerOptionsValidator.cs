using Microsoft.Extensions.Options;

namespace CredentialBroker.Revoker;

/// <summary>Validates <see cref="RevokerOptions"/> at start, reporting every problem at once.</summary>
internal sealed class RevokerOptionsValidator : IValidateOptions<RevokerOptions>
{
    public ValidateOptionsResult Validate(string? name, RevokerOptions options)
    {
        const string s = RevokerOptions.SectionName;
        var failures = new List<string>();
        void Positive(TimeSpan value, string setting)
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"{s}:{setting} must be positive.");
            }
        }

        void Between(int value, int min, int max, string setting)
        {
            if (value < min || value > max)
            {
                failures.Add($"{s}:{setting} is {value}; it must lie between {min} and {max}.");
            }
        }

        Positive(options.ExpirySweepInterval, nameof(options.ExpirySweepInterval));
        Positive(options.WorkPollInterval, nameof(options.WorkPollInterval));
        Positive(options.Lease, nameof(options.Lease));
        Positive(options.DownstreamRetryDelay, nameof(options.DownstreamRetryDelay));
        Positive(options.IrrevocableRetryInterval, nameof(options.IrrevocableRetryInterval));
        Positive(options.FeedTrimInterval, nameof(options.FeedTrimInterval));
        Positive(options.IssueReconcileInterval, nameof(options.IssueReconcileInterval));
        Between(options.SweepBatchSize, 1, 10_000, nameof(options.SweepBatchSize));
        Between(options.WorkBatchSize, 1, 1_000, nameof(options.WorkBatchSize));
        Between(options.Concurrency, 1, 256, nameof(options.Concurrency));
        Between(options.DownstreamAttempts, 1, 100, nameof(options.DownstreamAttempts));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
