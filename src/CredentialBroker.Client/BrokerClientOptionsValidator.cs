using CredentialBroker.Client.Svids;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Client;

/// <summary>Checks <see cref="BrokerClientOptions"/> at start and reports every problem at once.</summary>
internal sealed class BrokerClientOptionsValidator : IValidateOptions<BrokerClientOptions>
{
    public ValidateOptionsResult Validate(string? name, BrokerClientOptions options)
    {
        var failures = new List<string>();
        var prefix = string.IsNullOrEmpty(name) ? "CredentialBroker client" : $"CredentialBroker client '{name}'";
        if (options.BrokerUrl is not { IsAbsoluteUri: true } url || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"{prefix}: BrokerUrl is required: the broker's absolute http(s) URL.");
        }
        else if (options.RequireHttps && url.Scheme != Uri.UriSchemeHttps)
        {
            failures.Add($"{prefix}: BrokerUrl must be HTTPS, or set RequireHttps to false for a local development broker.");
        }

        if (options.Authentication == BrokerAuthentication.X509Svid && options.BrokerUrl?.Scheme == Uri.UriSchemeHttp)
        {
            failures.Add($"{prefix}: Authentication X509Svid needs an HTTPS BrokerUrl (the certificate is presented in the TLS handshake).");
        }

        if (options.RenewBefore < TimeSpan.Zero || options.RenewBefore > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{prefix}: RenewBefore must be from 0 to 5 minutes.");
        }

        if (options.ProgressInterval < TimeSpan.FromMilliseconds(100) || options.ProgressInterval > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{prefix}: ProgressInterval must be from 100 ms to 1 minute.");
        }

        if (options.BrokerCertificateAuthoritiesFile is { } authorities && !File.Exists(authorities))
        {
            failures.Add($"{prefix}: BrokerCertificateAuthoritiesFile '{authorities}' does not exist.");
        }

        failures.AddRange(SvidSourceOptions.Problems(options.Svids, options.Authentication).Select(p => $"{prefix}: Svids: {p}"));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
