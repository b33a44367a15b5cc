using System.Net;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using CredentialBroker.Core.Tokens;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Server.Tests.Soc;

/// <summary>The Shared Signals receiver: valid CAEP events revoke their subject; malformed, unsigned, replayed or foreign ones revoke nothing.</summary>
public sealed class SsfReceiverTests
{
    private const string TransmitterIssuer = "https://idp.example";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly SigningKey TransmitterKey = SigningKey.Generate("idp-key-1");
    private static readonly SigningKey ForeignKey = SigningKey.Generate("idp-key-1");

    private static BrokerApp App(string? redis = null)
    {
        var app = BrokerApp.Redis(redis);
        var jwks = Path.Combine(Directory.CreateTempSubdirectory("cb-ssf-").FullName, "idp.jwks.json");
        File.WriteAllText(jwks, JsonSerializer.Serialize(new { keys = new[] { TransmitterKey.PublicJwk } }));
        app.Settings["CredentialBroker:Ssf:Transmitters:idp:Issuer"] = TransmitterIssuer;
        app.Settings["CredentialBroker:Ssf:Transmitters:idp:JwksPath"] = jwks;
        app.Settings["CredentialBroker:Ssf:Transmitters:idp:Subjects:0"] = "spiffe://test.example/agents/";
        return app;
    }

    private static string Set(BrokerApp app, string events, SigningKey? key = null, string type = "secevent+jwt", string issuer = TransmitterIssuer,
        string? audience = null, string? jti = null, DateTimeOffset? issuedAt = null, string? subject = null, Action<JsonObject>? extra = null)
    {
        var payload = new JsonObject
        {
            ["iss"] = issuer,
            ["aud"] = audience ?? app.Issuer,
            ["iat"] = (issuedAt ?? app.Time.GetUtcNow()).ToUnixTimeSeconds(),
            ["jti"] = jti ?? Guid.NewGuid().ToString("N"),
            ["sub_id"] = new JsonObject { ["format"] = "uri", ["uri"] = subject ?? app.AgentId },
            ["events"] = JsonNode.Parse(events),
        };
        extra?.Invoke(payload);
        return new JsonWebTokenHandler().CreateToken(payload.ToJsonString(), (key ?? TransmitterKey).Credentials, new Dictionary<string, object> { ["typ"] = type });
    }

    private static string SessionRevoked => Event(CredentialBroker.Soc.SsfReceiver.SessionRevoked, """{"event_timestamp": 1764320000}""");

    private static string Event(string type, string body) => new JsonObject { [type] = JsonNode.Parse(body) }.ToJsonString();

    private static Task<HttpResponseMessage> PushAsync(HttpClient client, string set, string mediaType = "application/secevent+jwt") =>
        client.PostAsync("/v1/ssf/events", new StringContent(set, System.Text.Encoding.ASCII, mediaType));

    [TestCase("session-revoked")]
    [TestCase("credential-change")]
    public async Task A_signed_caep_revocation_event_revokes_every_credential_of_its_subject(string kind)
    {
        await using var app = App();
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var soc = app.As(BrokerApp.Soc);
        var (_, token, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);
        var (_, otherToken, _) = await orchestrator.CreateTaskOkAsync(app.Trust.Id(BrokerApp.OtherAgent));
        var events = kind == "session-revoked" ? SessionRevoked : Event(CredentialBroker.Soc.SsfReceiver.CredentialChange, """{"change_type": "revoke", "credential_type": "x509"}""");

        using var watch = new RevocationWatch(app);
        var response = await PushAsync(app.CreateClient(), Set(app, events));
        var body = await response.JsonAsync();
        var revocationId = (string)body["revocationIds"]![0]!;
        var done = await soc.WaitUntilDoneAsync(watch, revocationId, Patience);

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
            Assert.That((string)done["requestedBy"]!, Is.EqualTo("ssf:" + TransmitterIssuer));
            Assert.That((string)done["selector"]!["workload"]!, Is.EqualTo(app.AgentId));
            Assert.That((bool)(await soc.IntrospectJsonAsync(token))["active"]!, Is.False);
            Assert.That((bool)(await soc.IntrospectJsonAsync(otherToken))["active"]!, Is.True);
        });
    }

    [Test]
    public async Task An_event_the_broker_does_not_act_on_is_acknowledged_and_revokes_nothing()
    {
        await using var app = App();
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var soc = app.As(BrokerApp.Soc);
        var (_, token, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);

        var response = await PushAsync(app.CreateClient(), Set(app, Event(CredentialBroker.Soc.SsfReceiver.CredentialChange, """{"change_type": "update", "credential_type": "password"}""")));
        var body = await response.JsonAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
            Assert.That(body["revocationIds"]!.AsArray(), Is.Empty);
            Assert.That((bool)(await soc.IntrospectJsonAsync(token))["active"]!, Is.True);
        });
    }

    private static readonly Func<BrokerApp, string>[] Invalid =
    [
        _ => "not-a-jwt",
        app => string.Join('.', Set(app, SessionRevoked).Split('.')[..2]) + ".",                 // signature stripped
        app => Base64UrlEncoder.Encode("""{"alg":"none","typ":"secevent+jwt"}""") + "." + Set(app, SessionRevoked).Split('.')[1] + ".", // alg none
        app => Set(app, SessionRevoked, key: ForeignKey),                                         // a stranger's key with the transmitter's kid
        app => Set(app, SessionRevoked, issuer: "https://evil.example"),                          // an unknown transmitter
        app => Set(app, SessionRevoked, audience: "https://another-broker.example"),              // addressed elsewhere
        app => Set(app, SessionRevoked, type: "JWT"),                                              // not a SET
        app => Set(app, SessionRevoked, issuedAt: app.Time.GetUtcNow().AddHours(-1)),             // stale
        app => Set(app, "{}"),                                                                      // no events
        app => Set(app, SessionRevoked, subject: "mailto:bob@example.com"),                       // not a workload
        app => Set(app, SessionRevoked, extra: p => p["sub"] = app.AgentId),                      // 'sub' (RFC 8417 §2.2)
        app => Set(app, SessionRevoked, extra: p => p["exp"] = app.Time.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds()), // 'exp'
        app => Set(app, SessionRevoked, subject: app.Trust.Id(BrokerApp.Orchestrator)),           // outside the transmitter's Subjects
        app => Set(app, SessionRevoked).Split('.')[0] + ".eyJ.e30.e30.e30",                        // a JWE's five parts, one not base64url (was a 500, found by the fuzzer)
    ];

    [Test]
    public async Task Malformed_unsigned_foreign_or_stale_events_are_refused_and_revoke_nothing([Range(0, 13)] int which)
    {
        await using var app = App();
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var soc = app.As(BrokerApp.Soc);
        var (_, token, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);

        var response = await PushAsync(app.CreateClient(), Invalid[which](app));
        var body = await response.JsonAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((string)body["err"]!, Is.AnyOf("invalid_request", "invalid_key", "invalid_issuer", "invalid_audience", "access_denied"));
            Assert.That((string)body["description"]!, Is.Not.Empty);
            Assert.That((bool)(await soc.IntrospectJsonAsync(token))["active"]!, Is.True);
        });
    }

    [Test]
    public async Task A_replayed_event_is_refused_and_the_wrong_media_type_too()
    {
        await using var app = App();
        var client = app.CreateClient();
        var set = Set(app, Event(CredentialBroker.Soc.SsfReceiver.CredentialChange, """{"change_type": "update"}"""));

        var first = await PushAsync(client, set);
        var replay = await PushAsync(client, set);
        var asJson = await PushAsync(client, Set(app, SessionRevoked), "application/json");

        Assert.Multiple(async () =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
            Assert.That(replay.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((string)(await replay.JsonAsync())["description"]!, Does.Contain("already received"));
            Assert.That(asJson.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        });
    }

    [Test]
    public async Task Events_past_a_transmitters_budget_are_429_and_revoke_nothing_while_forged_ones_are_still_refused_as_such()
    {
        await using var app = App();
        RateLimiting.RateLimitTests.Limit(app, "Transmitter", 1);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var soc = app.As(BrokerApp.Soc);
        var (_, token, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);
        var client = app.CreateClient();

        var first = await PushAsync(client, Set(app, Event(CredentialBroker.Soc.SsfReceiver.CredentialChange, """{"change_type": "update", "credential_type": "password"}""")));
        var throttled = await PushAsync(client, Set(app, SessionRevoked));
        var forged = await PushAsync(client, Set(app, SessionRevoked, key: ForeignKey));

        Assert.Multiple(async () =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
            Assert.That(throttled.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(throttled.Headers.RetryAfter?.Delta, Is.Not.Null.And.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1)));
            Assert.That((string?)(await throttled.JsonAsync())["code"], Is.EqualTo("rate-limited"));
            Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "the signature is checked before the transmitter's budget");
            Assert.That((bool)(await soc.IntrospectJsonAsync(token))["active"]!, Is.True);
        });
    }

    [Test]
    public async Task An_event_pushed_while_redis_is_down_is_503_and_the_same_event_is_accepted_once_redis_is_back()
    {
        // F13: the replay check cannot be made, so the event is refused, not acted on unchecked; and the failed attempt
        // burns nothing, so the transmitter's retry of the very same event is accepted.
        await using var redis = await CredentialBroker.Testing.RedisServer.StartPrivateAsync();
        await using var app = App(redis.ConnectionString);
        var client = app.CreateClient();
        var set = Set(app, SessionRevoked);

        await redis.StopAsync();
        var during = await PushAsync(client, set);
        await redis.StartAsync();
        await FailClosedTests.WaitUntilReadyAsync(app.CreateClient());
        var after = await PushAsync(client, set);

        Assert.Multiple(() =>
        {
            Assert.That(during.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(during.Headers.RetryAfter, Is.Not.Null);
            Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        });
    }
}
