using CredentialBroker.Abstractions;
using CredentialBroker.Core;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Hosting;

/// <summary>
/// What production mode needs beyond the core checks: signing keys and trust bundles, configured and
/// loadable. Every problem is reported at once.
/// </summary>
internal sealed class ProductionOptionsValidator([FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time) : IValidateOptions<CredentialBrokerOptions>
{
    public ValidateOptionsResult Validate(string? name, CredentialBrokerOptions options)
    {
        var failures = new List<string>();
        if (options.SigningKeys.Count == 0)
        {
            failures.Add($"{CredentialBrokerOptions.SectionName}:SigningKeys needs at least one key file (PEM or JWK, P-256) in production mode.");
        }
        else if (options.SigningKeys.All(k => !string.IsNullOrWhiteSpace(k.Path)))
        {
            Collect(failures, () => KeyMaterialLoader.LoadSigningKeys(options));
        }

        if (options.SigningKeys.Count > 0 && options.SigningKeys.All(k => k.NotBefore > time.GetUtcNow()))
        {
            failures.Add($"{CredentialBrokerOptions.SectionName}:SigningKeys: every key starts signing in the future (NotBefore); one must sign now.");
        }

        foreach (var clash in options.SigningKeys.Where(k => k.NotBefore is not null).GroupBy(k => k.NotBefore!.Value).Where(g => g.Count() > 1))
        {
            failures.Add($"{CredentialBrokerOptions.SectionName}:SigningKeys: {clash.Count()} keys start signing at {clash.Key.ToString("O", System.Globalization.CultureInfo.InvariantCulture)}; give each a distinct NotBefore.");
        }

        if (options.TrustBundles.Count == 0)
        {
            failures.Add($"{CredentialBrokerOptions.SectionName}:TrustBundles needs at least one trust domain → JWKS file in production mode.");
        }
        else if (options.TrustBundles.Values.All(p => !string.IsNullOrWhiteSpace(p)))
        {
            Collect(failures, () => KeyMaterialLoader.LoadTrustBundles(options));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Collect(List<string> failures, Action load)
    {
        try
        {
            load();
        }
        catch (InvalidOperationException ex)
        {
            failures.AddRange(ex.Message.Split(Environment.NewLine));
        }
    }
}
