using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.RateLimiting;

/// <summary>Validates <see cref="RateLimitOptions"/> at start, reporting every problem at once.</summary>
internal sealed class RateLimitOptionsValidator : IValidateOptions<RateLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
    {
        const string s = RateLimitOptions.SectionName;
        List<string> failures =
        [
            .. Check(options.Issuance, $"{s}:Issuance"),
            .. Check(options.Exchange, $"{s}:Exchange"),
            .. Check(options.TaskExchange, $"{s}:TaskExchange"),
            .. Check(options.Introspection, $"{s}:Introspection"),
            .. Check(options.Revocation, $"{s}:Revocation"),
            .. Check(options.Transmitter, $"{s}:Transmitter"),
        ];
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static IEnumerable<string> Check(TokenBucketSettings? bucket, string path) =>
        bucket is null ? [$"{path} is required."] : bucket.Problems(path);
}
