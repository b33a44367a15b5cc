using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core.Identity;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Soc;

/// <summary>
/// Refuses a Shared Signals configuration that could not verify anything or would trust too much: a transmitter needs
/// an issuer of its own (two with one issuer would be ambiguous), a readable JWKS and the workloads it may revoke.
/// </summary>
public sealed class SsfOptionsValidator : IValidateOptions<SsfOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SsfOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var issuers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (id, transmitter) in options.Transmitters)
        {
            var prefix = $"CredentialBroker:Ssf:Transmitters:{id}";
            if (string.IsNullOrWhiteSpace(transmitter.Issuer))
            {
                failures.Add($"{prefix}:Issuer is required (the exact iss of its events).");
            }
            else if (!issuers.TryAdd(transmitter.Issuer, id))
            {
                failures.Add($"{prefix}:Issuer '{transmitter.Issuer}' is also the issuer of transmitter '{issuers[transmitter.Issuer]}'; each transmitter needs its own issuer, or its events could not be told apart.");
            }

            if (transmitter.Subjects.Count == 0)
            {
                failures.Add($"{prefix}:Subjects is required: the SPIFFE IDs or prefixes ending in '/' (e.g. spiffe://corp.example/) whose credentials its events may revoke.");
            }

            foreach (var subject in transmitter.Subjects)
            {
                if (!SpiffeIdPattern.TryParse(subject, out _, out var error))
                {
                    failures.Add($"{prefix}:Subjects '{subject}' is neither a SPIFFE ID nor a prefix ending in '/': {error}.");
                }
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
