using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Hosting;

/// <summary>Production signing keys come from PEM or JWK files; the first signs, every one is published.</summary>
public sealed class KeyMaterialTests
{
    [Test]
    public async Task A_jwk_key_file_with_a_configured_kid_signs_and_an_older_pem_key_stays_published()
    {
        using var app = BrokerApp.Redis();
        app.Settings["CredentialBroker:SigningKeys:0:Path"] = KeyFiles.WriteEs256Jwk();
        app.Settings["CredentialBroker:SigningKeys:0:KeyId"] = "2026-11";
        app.Settings["CredentialBroker:SigningKeys:1:Path"] = KeyFiles.WriteEs256Pem();
        app.Settings["CredentialBroker:SigningKeys:1:KeyId"] = "2026-10";

        var (_, token, _) = await app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(app.AgentId);
        var jwks = await (await app.CreateClient().GetAsync("/.well-known/jwks.json")).JsonAsync();

        Assert.Multiple(async () =>
        {
            Assert.That((string?)JwtParts.Header(token)["kid"], Is.EqualTo("2026-11"));
            Assert.That(jwks["keys"]!.AsArray().Select(k => (string?)k!["kid"]), Is.EqualTo(new[] { "2026-11", "2026-10" }));
            Assert.That((bool?)(await app.As(BrokerApp.Soc).IntrospectJsonAsync(token))["active"], Is.True);
        });
    }
}
