using System.Text.Json;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Core.Tokens;
using CredentialBroker.Soc;

namespace CredentialBroker.Core.Tests.Soc;

public sealed class SsfOptionsValidatorTests
{
    private static readonly string Jwks = WriteJwks();

    private static string WriteJwks()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("cb-ssf-opt-").FullName, "idp.jwks.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { keys = new[] { SigningKey.Generate("k").PublicJwk } }));
        return path;
    }

    private static SsfTransmitterOptions Transmitter(string issuer, params string[] subjects)
    {
        var transmitter = new SsfTransmitterOptions { Issuer = issuer, JwksPath = Jwks };
        foreach (var subject in subjects)
        {
            transmitter.Subjects.Add(subject);
        }

        return transmitter;
    }

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(params (string Name, SsfTransmitterOptions Transmitter)[] transmitters)
    {
        var options = new SsfOptions();
        foreach (var (name, transmitter) in transmitters)
        {
            options.Transmitters[name] = transmitter;
        }

        return new SsfOptionsValidator().Validate(null, options);
    }

    [Test]
    public void Transmitters_with_their_own_issuers_and_scopes_are_valid()
    {
        var result = Validate(("idp", Transmitter("https://idp.example", "spiffe://corp.example/")), ("edr", Transmitter("https://edr.example", "spiffe://corp.example/agents/bot")));

        Assert.That(result.Succeeded, Is.True, string.Join("; ", result.Failures ?? []));
    }

    [Test]
    public void Two_transmitters_with_one_issuer_are_a_configuration_error_at_start()
    {
        var result = Validate(("idp", Transmitter("https://idp.example", "spiffe://corp.example/")), ("copy", Transmitter("https://idp.example", "spiffe://corp.example/")));

        Assert.That(result.Failures, Has.One.Contains("also the issuer of transmitter 'idp'"));
    }

    [TestCase(new string[0], "Subjects is required")]
    [TestCase(new[] { "corp.example" }, "neither a SPIFFE ID nor a prefix")]
    [TestCase(new[] { "spiffe://CORP.example/" }, "neither a SPIFFE ID nor a prefix")]
    public void A_transmitter_without_a_valid_scope_is_refused(string[] subjects, string message)
    {
        var result = Validate(("idp", Transmitter("https://idp.example", subjects)));

        Assert.That(result.Failures, Has.One.Contains(message));
    }
}
