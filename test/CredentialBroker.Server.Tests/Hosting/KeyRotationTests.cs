using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Hosting;

/// <summary>Scheduled key rotation in a running broker, with tokens outstanding: no false rejects.</summary>
public sealed class KeyRotationTests
{
    [Test]
    public async Task A_rotation_publishes_first_switches_on_schedule_and_rejects_nothing_valid()
    {
        using var app = BrokerApp.Redis();
        var switchover = app.Time.GetUtcNow().AddMinutes(10);
        app.Settings["CredentialBroker:SigningKeys:0:KeyId"] = "old";
        app.Settings["CredentialBroker:SigningKeys:1:Path"] = KeyFiles.WriteEs256Pem();
        app.Settings["CredentialBroker:SigningKeys:1:KeyId"] = "new";
        app.Settings["CredentialBroker:SigningKeys:1:NotBefore"] = switchover.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var orchestrator = app.As(BrokerApp.Orchestrator);
        var soc = app.As(BrokerApp.Soc);
        async Task<string[]> Jwks() => [.. (await (await app.CreateClient().GetAsync("/.well-known/jwks.json")).JsonAsync())["keys"]!.AsArray().Select(k => (string)k!["kid"]!)];

        var (_, before, _) = await orchestrator.CreateTaskOkAsync(app.AgentId, ttlSeconds: 900);
        var jwksBefore = await Jwks();
        app.Time.Advance(TimeSpan.FromMinutes(10));
        var (_, after, _) = await orchestrator.CreateTaskOkAsync(app.AgentId, ttlSeconds: 900);
        var oldStillActive = (bool?)(await soc.IntrospectJsonAsync(before))["active"];
        var exchangedOld = await app.As(BrokerApp.Agent).AccessTokenAsync(before);
        app.Time.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(31));
        var jwksAfterRetirement = await Jwks();

        Assert.Multiple(() =>
        {
            Assert.That((string?)JwtParts.Header(before)["kid"], Is.EqualTo("old"));
            Assert.That(jwksBefore, Is.EqualTo(new[] { "old", "new" }), "the new key is published before it signs anything");
            Assert.That((string?)JwtParts.Header(after)["kid"], Is.EqualTo("new"));
            Assert.That(oldStillActive, Is.True, "a token the old key signed stays valid after the switch");
            Assert.That(exchangedOld.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.OK));
            Assert.That(jwksAfterRetirement, Is.EqualTo(new[] { "new" }), "retired once everything it signed has expired");
        });
    }

    [Test]
    public async Task A_schedule_where_no_key_signs_now_stops_the_start()
    {
        await using var broker = await BrokerProcess.RunToExitAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Redis"] = "127.0.0.1:1",
            ["CredentialBroker__Issuer"] = "https://broker.test",
            ["CredentialBroker__SigningKeys__0__Path"] = KeyFiles.WriteEs256Pem(),
            ["CredentialBroker__SigningKeys__0__NotBefore"] = "2999-01-01T00:00:00Z",
            ["CredentialBroker__TrustBundles__test.example"] = "/nonexistent.json",
        }, "--urls", $"http://127.0.0.1:{BrokerProcess.FreePort()}");

        Assert.Multiple(() =>
        {
            Assert.That(broker.ExitCode, Is.EqualTo(2));
            Assert.That(broker.Output, Does.Contain("every key starts signing in the future"));
        });
    }
}
