using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Core.Soc;

/// <summary>Refuses a Shared Signals configuration that could not verify anything: a transmitter needs an issuer and a readable JWKS.</summary>
public sealed class SsfOptionsValidator : IValidateOptions<SsfOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SsfOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var (id, transmitter) in options.Transmitters)
        {
            var prefix = $"CredentialBroker:Ssf:Transmitters:{id}";
            if (string.IsNullOrWhiteSpace(transmitter.Issuer))
            {
                failures.Add($"{prefix}:Issuer is required (the exact iss of its events).");
            }

            if (string.IsNullOrWhiteSpace(transmitter.JwksPath))
            {
                failures.Add($"{prefix}:JwksPath is required (a JWKS file with its signing keys).");
                continue;
            }

            try
            {
                if (new JsonWebKeySet(File.ReadAllText(transmitter.JwksPath)).Keys.Count == 0)
                {
                    failures.Add($"{prefix}:JwksPath '{transmitter.JwksPath}' holds no keys.");
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                failures.Add($"{prefix}:JwksPath '{transmitter.JwksPath}' is not a readable JWKS file: {ex.Message}");
            }
        }

        if (options.MaxEventAge <= TimeSpan.Zero)
        {
            failures.Add("CredentialBroker:Ssf:MaxEventAge must be above zero.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
