using CredentialBroker.Downstream.PostgreSql;
using CredentialBroker.Downstream.Providers;
using CredentialBroker.Downstream.RedisAcl;

namespace CredentialBroker.Downstream.Tests;

/// <summary>Runs the real start-time validator with the real kinds over one provider's settings.</summary>
internal static class OptionsValidation
{
    public static IReadOnlyList<string> Failures(ProviderOptions provider, string name = "payments")
    {
        var options = new DownstreamOptions();
        options.Providers[name] = provider;
        var result = new DownstreamOptionsValidator([new PostgreSqlProviderKind(), new RedisAclProviderKind()]).Validate(null, options);
        return result.Failed ? [.. result.Failures!] : [];
    }
}
