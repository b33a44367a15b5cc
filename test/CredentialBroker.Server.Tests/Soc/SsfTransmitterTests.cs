using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Server.Soc;
using CredentialBroker.Server.Tests.Downstream;
using CredentialBroker.Soc;
using CredentialBroker.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Server.Tests.Soc;

/// <summary>
/// The Shared Signals transmitter: a stream registered by the SOC receives a signed CAEP event for every credential
/// revoked after it was created — pushed (RFC 8935, retried with backoff) or polled (RFC 8936) — plus verification events
/// on request; streams are managed by the SOC and operators only, and a bad configuration is refused field by field.
/// </summary>
public sealed class SsfTransmitterTests
{
    private const string ReceiverUrl = "https://receiver.test/events";
    private const string ReceiverAuthorization = "Bearer receiver-secret-3f9a";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static (BrokerApp App, TestReceiver Receiver) App(bool redis = true)
    {
        var app = redis ? BrokerApp.Redis() : BrokerApp.Dev();
        var receiver = new TestReceiver();
        app.Settings["CredentialBroker:SsfTransmitter:DeliveryInterval"] = "00:00:00.100";
        app.TestServices = services => services.AddHttpClient(SsfTransmitter.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => receiver)
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        return (app, receiver);
    }

    private static string PushStream(string? events = null, string? extra = null) => $$"""
        {"delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": "{{ReceiverUrl}}", "authorization_header": "{{ReceiverAuthorization}}"},
         "events_requested": {{events ?? $"[\"{SsfReceiver.SessionRevoked}\"]"}}, "description": "test receiver"{{extra}}}
        """;

    private const string PollStream = """{"delivery": {"method": "urn:ietf:rfc:8936"}, "events_requested": ["https://schemas.openid.net/secevent/caep/event-type/session-revoked"]}""";

    private static async Task<JsonObject> CreateStreamAsync(HttpClient soc, string body)
    {
        var response = await soc.PostAsync("/v1/ssf/streams", Api.Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), text);
        return JsonNode.Parse(text)!.AsObject();
    }

    private static async Task<JsonWebToken> ValidateAsync(BrokerApp app, string set, string audience)
    {
        var jwks = new JsonWebKeySet(await app.CreateClient().GetStringAsync("/.well-known/jwks.json"));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(set, new TokenValidationParameters
        {
            ValidIssuer = app.Issuer,
            ValidAudience = audience,
            ValidTypes = ["secevent+jwt"],
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            IssuerSigningKeys = jwks.Keys,
            RequireExpirationTime = false,
            ValidateLifetime = false,
        });
        Assert.That(result.IsValid, Is.True, result.Exception?.Message);
        return (JsonWebToken)result.SecurityToken;
    }

    private static async Task<JsonArray> ArrayAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();

    private static JsonElement Event(JsonWebToken set, string type) => set.GetPayloadValue<JsonElement>("events").GetProperty(type);

    private static JsonElement Subject(JsonWebToken set) => set.GetPayloadValue<JsonElement>("sub_id");

    [Test]
    public async Task A_push_stream_receives_a_signed_session_revoked_event_when_a_task_completes()
    {
        var (app, receiver) = App();
        await using var host = app;
        using var soc = app.As(BrokerApp.Soc);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        var stream = await CreateStreamAsync(soc, PushStream());
        var (taskId, _, jti) = await orchestrator.CreateTaskOkAsync(app.AgentId);

        var completed = await orchestrator.ChangeStateAsync(taskId, "completed");
        var pushed = await receiver.NextAsync(Patience);
        var set = await ValidateAsync(app, pushed.Set, (string)stream["aud"]!);
        var subject = Subject(set);
        var revoked = Event(set, SsfReceiver.SessionRevoked);

        Assert.Multiple(() =>
        {
            Assert.That(completed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(pushed.MediaType, Is.EqualTo("application/secevent+jwt"), "exactly the media type, no parameters (RFC 8935 §2)");
            Assert.That(pushed.Authorization, Is.EqualTo(ReceiverAuthorization));
            Assert.That(set.Alg, Is.EqualTo("ES256"));
            Assert.That(set.Kid, Is.Not.Empty);
            Assert.That(set.Id, Is.Not.Empty);
            Assert.That(set.TryGetClaim("exp", out _) || set.TryGetClaim("sub", out _), Is.False, "a SET carries neither exp nor sub (RFC 8417 §2.2)");
            Assert.That(subject.GetProperty("format").GetString(), Is.EqualTo("jwt_id"));
            Assert.That(subject.GetProperty("iss").GetString(), Is.EqualTo(app.Issuer));
            Assert.That(subject.GetProperty("jti").GetString(), Is.EqualTo(jti));
            Assert.That(revoked.GetProperty("reason_admin").GetProperty("en").GetString(), Is.EqualTo("task_completed"));
            Assert.That(revoked.GetProperty("event_timestamp").GetInt64(), Is.EqualTo(app.Time.GetUtcNow().ToUnixTimeSeconds()));
            Assert.That(app.Logs.GetSnapshot().Any(l => l.Message.Contains(ReceiverAuthorization, StringComparison.Ordinal) || l.Message.Contains(pushed.Set, StringComparison.Ordinal)), Is.False, "neither the SET nor the authorization header is logged");
        });
    }

    [Test]
    public async Task A_push_stream_hears_nothing_of_revocations_recorded_before_it_was_created_and_of_events_it_did_not_request()
    {
        var (app, receiver) = App();
        await using var host = app;
        using var soc = app.As(BrokerApp.Soc);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        var (before, _, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);
        await orchestrator.ChangeStateAsync(before, "completed");
        var uninterested = await CreateStreamAsync(soc, PushStream(events: $"[\"{SsfReceiver.CredentialChange}\"]"));
        app.Time.Advance(TimeSpan.FromSeconds(1));
        var stream = await CreateStreamAsync(soc, PushStream());
        var (after, _, jti) = await orchestrator.CreateTaskOkAsync(app.AgentId);

        await orchestrator.ChangeStateAsync(after, "cancelled");
        var pushed = await receiver.NextAsync(Patience);
        var set = await ValidateAsync(app, pushed.Set, (string)stream["aud"]!);

        Assert.Multiple(() =>
        {
            Assert.That(Subject(set).GetProperty("jti").GetString(), Is.EqualTo(jti), "the first event is the later task's, not the earlier one's");
            Assert.That(Event(set, SsfReceiver.SessionRevoked).GetProperty("reason_admin").GetProperty("en").GetString(), Is.EqualTo("task_state"));
            Assert.That(uninterested["events_delivered"]!.AsArray().Select(e => (string)e!), Is.EqualTo(new[] { SsfReceiver.CredentialChange }));
            Assert.That(receiver.Count, Is.EqualTo(1), "the stream that asked only for credential-change got nothing");
        });
    }

    [Test]
    public async Task A_push_the_receiver_answers_503_is_retried_after_the_backoff_and_then_accepted()
    {
        var (app, receiver) = App();
        await using var host = app;
        using var soc = app.As(BrokerApp.Soc);
        var stream = await CreateStreamAsync(soc, PushStream());
        var streamId = (string)stream["stream_id"]!;
        receiver.Answers.Enqueue(HttpStatusCode.ServiceUnavailable);

        var verify = await soc.PostAsync("/v1/ssf/verify", Api.Json($$"""{"stream_id": "{{streamId}}", "state": "retry-1"}"""));
        var first = await receiver.NextAsync(Patience);
        var store = app.Services.GetRequiredService<ISsfStreamStore>();
        await CredentialBroker.Testing.Poll.UntilAsync(() => Task.FromResult(app.Logs.GetSnapshot().Any(l => l.Id.Name == "SsfPushFailed")), Patience, "the failed push is recorded and its retry scheduled");
        var pendingAfterFailure = await store.ReadPendingAsync(streamId, 10, CancellationToken.None);
        app.Time.Advance(TimeSpan.FromSeconds(2)); // RetryInitialDelay
        var second = await receiver.NextAsync(Patience);
        await CredentialBroker.Testing.Poll.UntilAsync(async () => (await store.ReadPendingAsync(streamId, 10, CancellationToken.None)).Count == 0, Patience, "the accepted event is no longer pending");

        Assert.Multiple(() =>
        {
            Assert.That(verify.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(first.Answer, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(pendingAfterFailure, Has.Count.EqualTo(1), "an event the receiver did not accept stays pending in the store");
            Assert.That(second.Answer, Is.EqualTo(HttpStatusCode.Accepted));
            Assert.That(second.Set, Is.EqualTo(first.Set), "the same event is sent again");
        });
    }

    [Test]
    public async Task A_verification_event_carries_the_receivers_state_and_names_the_stream()
    {
        var (app, receiver) = App();
        await using var host = app;
        using var soc = app.As(BrokerApp.Operator);
        var stream = await CreateStreamAsync(soc, PushStream());
        var streamId = (string)stream["stream_id"]!;

        var verify = await soc.PostAsync("/v1/ssf/verify", Api.Json($$"""{"stream_id": "{{streamId}}", "state": "VGhpcyBpcyBhbiBleGFtcGxl"}"""));
        var unknown = await soc.PostAsync("/v1/ssf/verify", Api.Json("""{"stream_id": "ssf_nope", "state": "x"}"""));
        var pushed = await receiver.NextAsync(Patience);
        var set = await ValidateAsync(app, pushed.Set, (string)stream["aud"]!);

        Assert.Multiple(() =>
        {
            Assert.That(verify.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(Event(set, SsfTransmitter.VerificationEvent).GetProperty("state").GetString(), Is.EqualTo("VGhpcyBpcyBhbiBleGFtcGxl"));
            Assert.That(Subject(set).GetProperty("format").GetString(), Is.EqualTo("opaque"));
            Assert.That(Subject(set).GetProperty("id").GetString(), Is.EqualTo(streamId));
        });
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_poll_stream_returns_pending_events_until_they_are_acknowledged(bool redis)
    {
        var (app, _) = App(redis);
        await using var host = app;
        using var soc = app.As(BrokerApp.Soc);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var resourceServer = app.As(BrokerApp.ResourceServer);
        var stream = await CreateStreamAsync(soc, PollStream);
        var pollUrl = (string)stream["delivery"]!["endpoint_url"]!;
        var path = new Uri(pollUrl).AbsolutePath;
        var (taskId, _, jti) = await orchestrator.CreateTaskOkAsync(app.AgentId);
        await orchestrator.ChangeStateAsync(taskId, "failed");

        var polled = new JsonObject();
        await CredentialBroker.Testing.Poll.UntilAsync(async () =>
        {
            polled = await (await resourceServer.PostAsync(path, Api.Json("""{"maxEvents": 10, "returnImmediately": true}"""))).JsonAsync();
            return polled["sets"]!.AsObject().Count > 0;
        }, Patience, "the poll returns the revocation");
        var (setJti, setNode) = polled["sets"]!.AsObject().Single();
        var set = await ValidateAsync(app, (string)setNode!, (string)stream["aud"]!);
        var again = await (await resourceServer.PostAsync(path, Api.Json("""{"maxEvents": 10, "returnImmediately": true}"""))).JsonAsync();
        var acked = await (await resourceServer.PostAsync(path, Api.Json($$"""{"maxEvents": 10, "returnImmediately": true, "ack": ["{{setJti}}"]}"""))).JsonAsync();
        var badPoll = await resourceServer.PostAsync(path, Api.Json("""{"maxEvents": "ten"}"""));

        Assert.Multiple(async () =>
        {
            Assert.That(pollUrl, Is.EqualTo(app.Issuer + path));
            Assert.That(set.Id, Is.EqualTo(setJti));
            Assert.That(Subject(set).GetProperty("jti").GetString(), Is.EqualTo(jti));
            Assert.That(again["sets"]!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { setJti }), "unacknowledged events are returned again");
            Assert.That(acked["sets"]!.AsObject(), Is.Empty);
            Assert.That((bool)acked["moreAvailable"]!, Is.False);
            Assert.That(badPoll.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((string?)(await badPoll.JsonAsync())["err"], Is.EqualTo("invalid_request"));
        });
    }

    [Test]
    public async Task A_poll_stream_addressed_to_a_workload_is_polled_only_by_it_or_the_soc_and_another_cannot_acknowledge_its_events()
    {
        var (app, _) = App();
        await using var host = app;
        using var soc = app.As(BrokerApp.Soc);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var owner = app.As(BrokerApp.ResourceServer);
        using var other = app.As("/resource-servers/crm");
        var stream = await CreateStreamAsync(soc, $$"""{"delivery": {"method": "urn:ietf:rfc:8936"}, "aud": "{{app.Trust.Id(BrokerApp.ResourceServer)}}"}""");
        var path = new Uri((string)stream["delivery"]!["endpoint_url"]!).AbsolutePath;
        var (taskId, _, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);
        await orchestrator.ChangeStateAsync(taskId, "failed");

        var pending = new JsonObject();
        await CredentialBroker.Testing.Poll.UntilAsync(async () =>
        {
            pending = (await (await owner.PostAsync(path, Api.Json("""{"returnImmediately": true}"""))).JsonAsync())["sets"]!.AsObject();
            return pending.Count > 0;
        }, Patience, "the owner's poll returns the revocation");
        var setJti = pending.Single().Key;
        var byOther = await other.PostAsync(path, Api.Json($$"""{"returnImmediately": true, "ack": ["{{setJti}}"]}"""));
        var bySoc = await (await soc.PostAsync(path, Api.Json("""{"returnImmediately": true}"""))).JsonAsync();
        var byOwnerAgain = await (await owner.PostAsync(path, Api.Json("""{"returnImmediately": true}"""))).JsonAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(byOther.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((string?)(await byOther.JsonAsync())["err"], Is.EqualTo("access_denied"));
            Assert.That(bySoc["sets"]!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { setJti }), "the SOC may look");
            Assert.That(byOwnerAgain["sets"]!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { setJti }), "the refused acknowledgement removed nothing");
        });
    }

    [TestCase(BrokerApp.Agent)]
    [TestCase(BrokerApp.Orchestrator)]
    [TestCase(BrokerApp.ResourceServer)]
    [TestCase(BrokerApp.NoRole)]
    public async Task Stream_management_is_refused_to_callers_without_the_soc_or_operator_role(string caller)
    {
        var (app, _) = App();
        await using var host = app;
        using var stranger = app.As(caller);
        using var soc = app.As(BrokerApp.Soc);
        using var operatorClient = app.As(BrokerApp.Operator);

        var refused = await stranger.PostAsync("/v1/ssf/streams", Api.Json(PushStream()));
        var list = await stranger.GetAsync("/v1/ssf/streams");
        var anonymous = await app.CreateClient().PostAsync("/v1/ssf/streams", Api.Json(PushStream()));
        var bySoc = await soc.PostAsync("/v1/ssf/streams", Api.Json(PushStream()));
        var byOperator = await operatorClient.PostAsync("/v1/ssf/streams", Api.Json(PollStream));
        var poll = await stranger.PostAsync(new Uri((string)(await byOperator.JsonAsync())["delivery"]!["endpoint_url"]!).AbsolutePath, Api.Json("{}"));

        Assert.Multiple(async () =>
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(list.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(bySoc.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(byOperator.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(poll.StatusCode, Is.EqualTo(caller == BrokerApp.ResourceServer ? HttpStatusCode.OK : HttpStatusCode.Forbidden), "receivers poll as resource servers");
            Assert.That((await ArrayAsync(await soc.GetAsync("/v1/ssf/streams"))).Count, Is.EqualTo(2), "the refused request created nothing");
        });
    }

    private static readonly (string Body, string Field)[] BadStreams =
    [
        ("""{"events_requested": []}""", "delivery"),
        ("""{"delivery": {"method": "urn:example:carrier-pigeon"}}""", "delivery.method"),
        ("""{"delivery": {"method": "urn:ietf:rfc:8935"}}""", "delivery.endpoint_url"),
        ("""{"delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": "http://receiver.test/events"}}""", "delivery.endpoint_url"),
        ("""{"delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": "https://user:pw@receiver.test/events"}}""", "delivery.endpoint_url"),
        ("""{"delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": "https://receiver.test/events", "authorization_header": "Bearer a\r\nX-Evil: 1"}}""", "delivery.authorization_header"),
        ("""{"delivery": {"method": "urn:ietf:rfc:8936", "endpoint_url": "https://receiver.test/poll"}}""", "delivery.endpoint_url"),
        ("""{"delivery": {"method": "urn:ietf:rfc:8936"}, "events_requested": "session-revoked"}""", "events_requested"),
        ("""{"delivery": {"method": "urn:ietf:rfc:8936"}, "events_requested": [42]}""", "events_requested"),
        ("""{"delivery": {"method": "urn:ietf:rfc:8936"}, "aud": "not a uri"}""", "aud"),
        ("""{"delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": "https://169.254.169.254/latest/meta-data"}}""", "delivery.endpoint_url"),
        ("""{"delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": "https://127.0.0.1/events"}}""", "delivery.endpoint_url"),
        ("""{"delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": "https://[::ffff:169.254.169.254]/events"}}""", "delivery.endpoint_url"),
        ("""{"delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": "https://localhost/events"}}""", "delivery.endpoint_url"),
        ("""{"delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": "https://0.0.0.0/events"}}""", "delivery.endpoint_url"),
        ("""{"delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": "https://[fe80::1]/events"}}""", "delivery.endpoint_url"),
    ];

    [Test]
    public async Task A_bad_stream_configuration_is_400_naming_the_field_and_creates_nothing([Range(0, 15)] int which)
    {
        var (app, _) = App();
        await using var host = app;
        using var soc = app.As(BrokerApp.Soc);
        var (body, field) = BadStreams[which];

        var refused = await soc.PostAsync("/v1/ssf/streams", Api.Json(body));
        var problem = await refused.JsonAsync();
        var valid = await soc.PostAsync("/v1/ssf/streams", Api.Json(which % 2 == 0 ? PushStream() : PollStream));

        Assert.Multiple(async () =>
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(problem["errors"]!.AsObject().Select(e => e.Key), Does.Contain(field));
            Assert.That((string)problem["errors"]![field]![0]!, Is.Not.Empty);
            Assert.That(valid.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That((await ArrayAsync(await soc.GetAsync("/v1/ssf/streams"))).Count, Is.EqualTo(1));
        });
    }

    [TestCase("paused", 1)]
    [TestCase("disabled", 0)]
    public async Task Events_pending_when_a_poll_stream_is_paused_are_kept_and_when_it_is_disabled_are_dropped(string status, int kept)
    {
        var (app, _) = App();
        await using var host = app;
        using var soc = app.As(BrokerApp.Soc);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var resourceServer = app.As(BrokerApp.ResourceServer);
        var stream = await CreateStreamAsync(soc, PollStream);
        var streamId = (string)stream["stream_id"]!;
        var path = new Uri((string)stream["delivery"]!["endpoint_url"]!).AbsolutePath;
        var (taskId, _, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);
        await orchestrator.ChangeStateAsync(taskId, "failed");
        await CredentialBroker.Testing.Poll.UntilAsync(async () =>
            (await (await resourceServer.PostAsync(path, Api.Json("""{"returnImmediately": true}"""))).JsonAsync())["sets"]!.AsObject().Count > 0,
            Patience, "the revocation is pending");

        var changed = await soc.PostAsync("/v1/ssf/status", Api.Json($$"""{"stream_id": "{{streamId}}", "status": "{{status}}"}"""));
        var enabled = await soc.PostAsync("/v1/ssf/status", Api.Json($$"""{"stream_id": "{{streamId}}", "status": "enabled"}"""));
        var polled = await (await resourceServer.PostAsync(path, Api.Json("""{"returnImmediately": true}"""))).JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That(changed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(enabled.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(polled["sets"]!.AsObject(), Has.Count.EqualTo(kept), "paused keeps events; disabled neither keeps nor delivers them");
        });
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_stream_whose_receiver_lets_events_pile_up_past_MaxPendingEvents_is_disabled_and_one_that_takes_them_is_not(bool redis)
    {
        var (app, _) = App(redis);
        app.Settings["CredentialBroker:SsfTransmitter:MaxPendingEvents"] = "2";
        await using var host = app;
        using var soc = app.As(BrokerApp.Soc);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        using var resourceServer = app.As(BrokerApp.ResourceServer);
        var ignored = (string)(await CreateStreamAsync(soc, PollStream))["stream_id"]!;
        var taken = await CreateStreamAsync(soc, PollStream);
        var takenPath = new Uri((string)taken["delivery"]!["endpoint_url"]!).AbsolutePath;

        var statuses = new List<string>();
        for (var revocation = 1; revocation <= 3; revocation++)
        {
            var (taskId, _, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);
            await orchestrator.ChangeStateAsync(taskId, "failed");
            var sets = new JsonObject();
            await CredentialBroker.Testing.Poll.UntilAsync(async () =>
            {
                sets = (await (await resourceServer.PostAsync(takenPath, Api.Json("""{"returnImmediately": true}"""))).JsonAsync())["sets"]!.AsObject();
                return sets.Count > 0;
            }, Patience, $"revocation {revocation} reaches the stream that takes its events");
            var ack = new JsonObject { ["returnImmediately"] = true, ["ack"] = new JsonArray([.. sets.Select(p => (JsonNode)p.Key)]) };
            await resourceServer.PostAsync(takenPath, Api.Json(ack.ToJsonString()));
            statuses.Add((string)(await (await soc.GetAsync($"/v1/ssf/status?stream_id={ignored}")).JsonAsync())["status"]!);
        }

        // Both streams hear the third revocation in the same delivery run, in either order: wait for the ignored one's turn.
        var ignoredStatus = new JsonObject();
        await CredentialBroker.Testing.Poll.UntilAsync(async () =>
        {
            ignoredStatus = await (await soc.GetAsync($"/v1/ssf/status?stream_id={ignored}")).JsonAsync();
            return (string)ignoredStatus["status"]! == "disabled";
        }, Patience, "the stream that let three events pile up is disabled");
        var takenStatus = await (await soc.GetAsync($"/v1/ssf/status?stream_id={(string)taken["stream_id"]!}")).JsonAsync();
        var pendingOnIgnored = await app.Services.GetRequiredService<ISsfStreamStore>().CountPendingAsync(ignored, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(statuses.Take(2), Is.EqualTo(new[] { "enabled", "enabled" }), "two pending events are within the limit");
            Assert.That((string?)ignoredStatus["reason"], Does.Contain("MaxPendingEvents"));
            Assert.That(pendingOnIgnored, Is.Zero, "a disabled stream keeps no events");
            Assert.That((string)takenStatus["status"]!, Is.EqualTo("enabled"));
            Assert.That(app.Logs.GetSnapshot().Count(l => l.Id.Name == "SsfStreamOverfull"), Is.EqualTo(1));
        });
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task A_push_stream_may_name_a_private_network_receiver_but_loopback_only_with_AllowLoopbackHttp_and_never_link_local(bool allowLoopback)
    {
        var (app, _) = App();
        app.Settings["CredentialBroker:SsfTransmitter:AllowLoopbackHttp"] = allowLoopback ? "true" : "false";
        await using var host = app;
        using var soc = app.As(BrokerApp.Soc);
        static string Push(string url) => $$$"""{"delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": "{{{url}}}"}}""";

        var privateNetwork = await soc.PostAsync("/v1/ssf/streams", Api.Json(Push("https://10.1.2.3/events")));
        var loopbackHttps = await soc.PostAsync("/v1/ssf/streams", Api.Json(Push("https://127.0.0.1:8443/events")));
        var loopbackHttp = await soc.PostAsync("/v1/ssf/streams", Api.Json(Push("http://127.0.0.1:8080/events")));
        var metadata = await soc.PostAsync("/v1/ssf/streams", Api.Json(Push("https://169.254.169.254/latest/meta-data")));
        var metadataAsDecimal = await soc.PostAsync("/v1/ssf/streams", Api.Json(Push("https://2852039166/latest/meta-data")));

        var expectedLoopback = allowLoopback ? HttpStatusCode.Created : HttpStatusCode.BadRequest;
        Assert.Multiple(async () =>
        {
            Assert.That(privateNetwork.StatusCode, Is.EqualTo(HttpStatusCode.Created), "a SIEM on an internal network is a receiver");
            Assert.That(loopbackHttps.StatusCode, Is.EqualTo(expectedLoopback));
            Assert.That(loopbackHttp.StatusCode, Is.EqualTo(expectedLoopback));
            Assert.That(metadata.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "the cloud metadata service is no receiver");
            Assert.That(metadataAsDecimal.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "nor is it under another spelling");
            Assert.That((await ArrayAsync(await soc.GetAsync("/v1/ssf/streams"))).Count, Is.EqualTo(allowLoopback ? 3 : 1));
        });
    }

    [Test]
    public async Task A_poll_receivers_setErrs_reach_the_log_only_as_short_codes_never_as_its_text()
    {
        var (app, _) = App();
        await using var host = app;
        using var soc = app.As(BrokerApp.Soc);
        using var resourceServer = app.As(BrokerApp.ResourceServer);
        var stream = await CreateStreamAsync(soc, PollStream);
        var path = new Uri((string)stream["delivery"]!["endpoint_url"]!).AbsolutePath;
        var forged = "\\r\\n2026-12-01 FORGED: the SOC disabled every stream " + new string('x', 5000);

        var polled = await resourceServer.PostAsync(path, Api.Json($$$"""
            {"returnImmediately": true, "setErrs": {
               "a1b2c3": {"err": "invalid_issuer", "description": "not ours"},
               "d4e5f6": {"err": "{{{forged}}}"},
               "{{{forged}}}": {"err": "invalid_key"}
            } }
            """));
        var logged = app.Logs.GetSnapshot().Select(l => l.Message).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(polled.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(logged.Any(m => m.Contains("a1b2c3", StringComparison.Ordinal) && m.Contains("invalid_issuer", StringComparison.Ordinal)), Is.True, "a short error code is logged with its jti");
            Assert.That(logged.Any(m => m.Contains("d4e5f6", StringComparison.Ordinal) && m.Contains("unspecified", StringComparison.Ordinal)), Is.True);
            Assert.That(logged.Any(m => m.Contains("FORGED", StringComparison.Ordinal)), Is.False, "the receiver's text never reaches the log");
        });
    }

    [Test]
    public async Task A_stream_is_read_updated_paused_and_deleted_and_each_change_is_in_the_boundary_log_without_its_authorization_header()
    {
        var (app, receiver) = App();
        await using var host = app;
        using var soc = app.As(BrokerApp.Soc);
        var stream = await CreateStreamAsync(soc, PushStream());
        var id = (string)stream["stream_id"]!;

        var read = await (await soc.GetAsync($"/v1/ssf/streams?stream_id={id}")).JsonAsync();
        var patched = await soc.PatchAsync("/v1/ssf/streams", Api.Json($$"""{"stream_id": "{{id}}", "description": "renamed"}"""));
        var patchedBody = await patched.JsonAsync();
        var badStatus = await soc.PostAsync("/v1/ssf/status", Api.Json($$"""{"stream_id": "{{id}}", "status": "sleeping"}"""));
        var paused = await soc.PostAsync("/v1/ssf/status", Api.Json($$"""{"stream_id": "{{id}}", "status": "paused", "reason": "maintenance"}"""));
        var status = await (await soc.GetAsync($"/v1/ssf/status?stream_id={id}")).JsonAsync();
        await soc.PostAsync("/v1/ssf/verify", Api.Json($$"""{"stream_id": "{{id}}", "state": "while-paused"}"""));
        var pendingWhilePaused = await app.Services.GetRequiredService<ISsfStreamStore>().ReadPendingAsync(id, 10, CancellationToken.None);
        await soc.PostAsync("/v1/ssf/status", Api.Json($$"""{"stream_id": "{{id}}", "status": "enabled"}"""));
        var deliveredOnceEnabled = await receiver.NextAsync(Patience);
        var deleted = await soc.DeleteAsync($"/v1/ssf/streams?stream_id={id}");
        var gone = await soc.GetAsync($"/v1/ssf/streams?stream_id={id}");
        var log = await (await soc.GetAsync("/v1/audit/events?after=0&limit=1000")).Content.ReadAsStringAsync();
        var changes = JsonNode.Parse(log)!["events"]!.AsArray().Where(e => (string?)e!["type"] == "ssf.stream_changed").Select(e => (string)e!["change"]!).ToList();

        Assert.Multiple(async () =>
        {
            Assert.That((string?)read["description"], Is.EqualTo("test receiver"));
            Assert.That(read["delivery"]!.AsObject().ContainsKey("authorization_header"), Is.False, "the push authorization header is never returned");
            Assert.That(patched.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)patchedBody["description"], Is.EqualTo("renamed"));
            Assert.That((string?)patchedBody["delivery"]!["endpoint_url"], Is.EqualTo(ReceiverUrl), "PATCH keeps what it does not name");
            Assert.That(badStatus.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(paused.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)status["status"], Is.EqualTo("paused"));
            Assert.That((string?)status["reason"], Is.EqualTo("maintenance"));
            Assert.That(pendingWhilePaused, Has.Count.EqualTo(1), "a paused stream keeps its events");
            Assert.That(await ValidateAsync(app, deliveredOnceEnabled.Set, (string)stream["aud"]!), Is.Not.Null);
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(changes, Is.EqualTo(new[] { "created", "updated", "status", "status", "deleted" }));
            Assert.That(log, Does.Not.Contain(ReceiverAuthorization));
        });
    }

    [Test]
    public async Task The_ssf_configuration_metadata_names_every_endpoint()
    {
        var (app, _) = App();
        await using var host = app;

        var metadata = await (await app.CreateClient().GetAsync("/.well-known/ssf-configuration")).JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That((string?)metadata["spec_version"], Is.EqualTo("1_0"));
            Assert.That((string?)metadata["issuer"], Is.EqualTo(app.Issuer));
            Assert.That((string?)metadata["jwks_uri"], Is.EqualTo(app.Issuer + "/.well-known/jwks.json"));
            Assert.That(metadata["delivery_methods_supported"]!.AsArray().Select(m => (string)m!), Is.EquivalentTo(new[] { "urn:ietf:rfc:8935", "urn:ietf:rfc:8936" }));
            Assert.That((string?)metadata["configuration_endpoint"], Is.EqualTo(app.Issuer + "/v1/ssf/streams"));
            Assert.That((string?)metadata["status_endpoint"], Is.EqualTo(app.Issuer + "/v1/ssf/status"));
            Assert.That((string?)metadata["verification_endpoint"], Is.EqualTo(app.Issuer + "/v1/ssf/verify"));
            Assert.That(metadata["authorization_schemes"]!.AsArray().Select(s => (string)s!["spec_urn"]!), Does.Contain("urn:ietf:rfc:6750"));
            Assert.That((string?)metadata["default_subjects"], Is.EqualTo("ALL"));
        });
    }

    [Test]
    public async Task A_revoked_downstream_secret_is_a_credential_change_event_beside_its_tasks_session_revoked()
    {
        await using var backend = await SecretBackend.CreateAsync("redis");
        var (app, receiver) = App();
        await using var host = app;
        backend.Configure(app.Settings);
        using var soc = app.As(BrokerApp.Soc);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        var stream = await CreateStreamAsync(soc, PushStream(events: $"[\"{SsfReceiver.SessionRevoked}\", \"{SsfReceiver.CredentialChange}\"]"));
        var (taskId, token, jti) = await orchestrator.CreateTaskOkAsync(app.AgentId, destination: backend.Resource);
        var secret = await (await app.As(BrokerApp.Agent).SecretAsync(token, backend.Resource)).JsonAsync();
        var secretId = (string)secret["secret"]!["id"]!;

        await orchestrator.ChangeStateAsync(taskId, "completed");
        var sets = new List<JsonWebToken>
        {
            await ValidateAsync(app, (await receiver.NextAsync(Patience)).Set, (string)stream["aud"]!),
            await ValidateAsync(app, (await receiver.NextAsync(Patience)).Set, (string)stream["aud"]!),
        };
        var change = sets.Single(s => Subject(s).GetProperty("format").GetString() == "opaque");
        var session = sets.Single(s => Subject(s).GetProperty("format").GetString() == "jwt_id");

        Assert.Multiple(() =>
        {
            Assert.That(Subject(change).GetProperty("id").GetString(), Is.EqualTo(secretId));
            Assert.That(Event(change, SsfReceiver.CredentialChange).GetProperty("change_type").GetString(), Is.EqualTo("revoke"));
            Assert.That(Event(change, SsfReceiver.CredentialChange).GetProperty("credential_type").GetString(), Is.EqualTo("password"));
            Assert.That(Subject(session).GetProperty("jti").GetString(), Is.EqualTo(jti));
            Assert.That(Event(session, SsfReceiver.SessionRevoked).ValueKind, Is.EqualTo(JsonValueKind.Object));
        });
    }

    [Test]
    public async Task The_brokers_own_receiver_accepts_the_verification_event_its_transmitter_pushes()
    {
        // The broker as its own receiver: its transmitter's issuer is configured as a transmitter, with the broker's public
        // key, and the push client reaches the broker's POST /v1/ssf/events in memory.
        var app = BrokerApp.Redis();
        await using var host = app;
        using var key = System.Security.Cryptography.ECDsa.Create();
        key.ImportFromPem(await File.ReadAllTextAsync(app.SigningKeyPath));
        var jwks = Path.Combine(Directory.CreateTempSubdirectory("cb-ssf-self-").FullName, "broker.jwks.json");
        await File.WriteAllTextAsync(jwks, JsonSerializer.Serialize(new { keys = new[] { new CredentialBroker.Core.Tokens.SigningKey(key).PublicJwk } }));
        app.Settings["CredentialBroker:Ssf:Transmitters:self:Issuer"] = app.Issuer;
        app.Settings["CredentialBroker:Ssf:Transmitters:self:JwksPath"] = jwks;
        app.Settings["CredentialBroker:Ssf:Transmitters:self:Subjects:0"] = "spiffe://test.example/";
        app.Settings["CredentialBroker:SsfTransmitter:DeliveryInterval"] = "00:00:00.100";
        app.TestServices = services => services.AddHttpClient(SsfTransmitter.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new Loopback(() => app.Server.CreateHandler()))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        using var soc = app.As(BrokerApp.Soc);
        var stream = await CreateStreamAsync(soc, $$"""{"delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": "{{app.Issuer}}/v1/ssf/events"}, "aud": "{{app.Issuer}}"}""");
        var streamId = (string)stream["stream_id"]!;
        var store = app.Services.GetRequiredService<ISsfStreamStore>();

        var verify = await soc.PostAsync("/v1/ssf/verify", Api.Json($$"""{"stream_id": "{{streamId}}", "state": "self-test"}"""));
        await CredentialBroker.Testing.Poll.UntilAsync(async () => (await store.ReadPendingAsync(streamId, 10, CancellationToken.None)).Count == 0, Patience, "the broker's receiver accepted the event");
        var log = JsonNode.Parse(await (await soc.GetAsync("/v1/audit/events?after=0&limit=1000")).Content.ReadAsStringAsync())!["events"]!.AsArray();

        Assert.Multiple(() =>
        {
            Assert.That(verify.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(log.Where(e => (string?)e!["type"] == "ssf.accepted").Select(e => (string?)e!["issuer"]), Is.EqualTo(new[] { app.Issuer }),
                "accepted by the receiver (not refused and dropped)");
            Assert.That(log.Any(e => (string?)e!["type"] == "ssf.refused"), Is.False);
        });
    }

    /// <summary>Sends what it is given to a handler made on first use (the broker's in-memory server, which exists only once the host is built).</summary>
    private sealed class Loopback(Func<HttpMessageHandler> target) : HttpMessageHandler
    {
        private HttpMessageInvoker? _invoker;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            (_invoker ??= new HttpMessageInvoker(target(), disposeHandler: false)).SendAsync(request, cancellationToken);
    }

    /// <summary>
    /// The receiver's end of push delivery (RFC 8935), in the test: records each SET with its media type and
    /// Authorization header, answers the next queued status (202 when none is queued), and signals each arrival.
    /// </summary>
    private sealed class TestReceiver : HttpMessageHandler
    {
        private readonly Channel<Pushed> _pushed = Channel.CreateUnbounded<Pushed>();
        private int _count;

        public ConcurrentQueue<HttpStatusCode> Answers { get; } = new();

        public int Count => Volatile.Read(ref _count);

        public async Task<Pushed> NextAsync(TimeSpan patience)
        {
            using var timeout = new CancellationTokenSource(patience);
            return await _pushed.Reader.ReadAsync(timeout.Token);
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var set = await request.Content!.ReadAsStringAsync(cancellationToken);
            var answer = Answers.TryDequeue(out var queued) ? queued : HttpStatusCode.Accepted;
            Interlocked.Increment(ref _count);
            await _pushed.Writer.WriteAsync(new Pushed(set, request.Content.Headers.ContentType?.ToString(), request.Headers.Authorization?.ToString(), answer, request.RequestUri!), cancellationToken);
            return new HttpResponseMessage(answer) { Content = new StringContent(string.Empty) };
        }
    }

    private sealed record Pushed(string Set, string? MediaType, string? Authorization, HttpStatusCode Answer, Uri Endpoint);
}
