using CredentialBroker.Abstractions;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Core.Tests;

internal static class TestOptions
{
    public const string Issuer = "https://broker.example";

    public static IOptions<CredentialBrokerOptions> Create(Action<CredentialBrokerOptions>? configure = null)
    {
        var options = new CredentialBrokerOptions { Issuer = Issuer };
        configure?.Invoke(options);
        return Options.Create(options);
    }
}
