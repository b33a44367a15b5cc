using System.Net;
using System.Text.Json.Nodes;
using CredentialBroker.Abstractions.Secrets;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Server.Tests.Revocation;
using CredentialBroker.Server.Tests.Soc;
using CredentialBroker.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.Server.Tests.Downstream;

/// <summary>
/// Downstream secrets end to end, for each real backend (a PostgreSQL cluster and a redis-server started on free
/// loopback ports): an agent exchanges its task token for a secret and uses it; every revocation trigger then destroys
/// it downstream, proven by a login that fails and an open session that is cut, and the broker's records and reports
/// say so from the backend's own answers.
/// </summary>
[TestFixture("postgresql")]
[TestFixture("redis")]
public sealed class DownstreamSecretTests(string kind) : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly List<IAsyncDisposable> _disposables = [];
    private readonly List<BrokerApp> _apps = [];
    private SecretBackend _backend = null!;
    private BrokerApp _app = null!;

    private async Task StartAsync(BrokerApp app, bool privateBackend = false, TimeSpan? maxTtl = null)
    {
        _backend = await SecretBackend.CreateAsync(kind, privateBackend);
        _disposables.Add(_backend);
        _app = app;
        _apps.Add(app);
        _backend.Configure(app.Settings, maxTtl);
        app.Settings["CredentialBroker:Revoker:ExpirySweepInterval"] = "00:00:00.250";
        app.Settings["CredentialBroker:Revoker:IssueReconcileInterval"] = "00:00:00.250";
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in Enumerable.Reverse(_apps))
        {
            app.Dispose();
        }

        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }
    }

    private HttpClient Orchestrator => _app.As(BrokerApp.Orchestrator);

    private HttpClient Agent => _app.As(BrokerApp.Agent);

    private async Task<(string TaskId, string Token, string Jti)> NewTaskAsync(int ttlSeconds = 600) =>
        await Orchestrator.CreateTaskOkAsync(_app.AgentId, ttlSeconds, _backend.Resource);

    private async Task<(JsonObject Response, JsonObject Secret)> ExchangeAsync(string subjectToken, HttpClient? caller = null)
    {
        var response = await (caller ?? Agent).SecretAsync(subjectToken, _backend.Resource);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
        var json = JsonNode.Parse(body)!.AsObject();
        return (json, json["secret"]!.AsObject());
    }

    private async Task<SecretBackend.Session> LogInAsync(JsonObject secret)
    {
        var session = await _backend.LogInAsync(secret) ?? throw new AssertionException("the backend refused a secret the broker just issued");
        _disposables.Add(session);
        return session;
    }

    private async Task<JsonObject> CredentialAsync(string taskId, string jti)
    {
        var task = await (await Orchestrator.GetAsync($"/v1/tasks/{taskId}")).JsonAsync();
        return task["credentials"]!.AsArray().Single(c => (string)c!["jti"]! == jti)!.AsObject();
    }

    [Test]
    public async Task A_secret_works_until_its_task_completes_then_new_logins_fail_and_open_sessions_are_cut()
    {
        await StartAsync(BrokerApp.Redis());
        using var processed = new ProcessedSignal(_app);
        var (taskId, token, parent) = await NewTaskAsync();

        var (response, secret) = await ExchangeAsync(token);
        var session = await LogInAsync(secret);
        var worked = await session.WorksAsync();
        var live = await CredentialAsync(taskId, (string)secret["id"]!);
        await Orchestrator.ChangeStateAsync(taskId, "completed");
        await processed.WaitForAsync(2, Patience);
        var refused = await _backend.LogInAsync(secret);
        var cut = !await session.WorksAsync();
        var dead = await CredentialAsync(taskId, (string)secret["id"]!);
        var password = (string)secret["password"]!;

        Assert.Multiple(() =>
        {
            Assert.That((string?)response["issued_token_type"], Is.EqualTo(Api.SecretType));
            Assert.That((string?)response["token_type"], Is.EqualTo("N_A"));
            Assert.That((string?)response["access_token"], Is.EqualTo(password), "the password is the access_token");
            Assert.That((long)response["expires_in"]!, Is.EqualTo(300), "the provider's MaxTtl");
            Assert.That((string?)secret["kind"], Is.EqualTo(kind));
            Assert.That((string?)secret["resource"], Is.EqualTo(_backend.Resource));
            Assert.That((string?)secret["username"], Does.Match("^cb_[a-z2-7]{24}$"));
            Assert.That(secret.ContainsKey("expiresAt"), Is.True);
            Assert.That(worked, Is.True, "the secret works while the task runs");
            Assert.That((string?)live["kind"], Is.EqualTo("secret"));
            Assert.That((string?)live["parent"], Is.EqualTo(parent));
            Assert.That((string?)live["audience"], Is.EqualTo(_backend.Resource));
            Assert.That((string?)live["secret"]!["provider"], Is.EqualTo(SecretBackend.Provider));
            Assert.That((string?)live["secret"]!["kind"], Is.EqualTo(kind));
            Assert.That((string?)live["secret"]!["username"], Is.EqualTo((string?)secret["username"]));
            Assert.That(live.ToJsonString(), Does.Not.Contain(password), "the record never holds the password");
            Assert.That(refused, Is.Null, "a new login with the secret is refused");
            Assert.That(cut, Is.True, "the session opened before completion is cut");
            Assert.That((string?)dead["status"], Is.EqualTo("revoked"));
            Assert.That((string?)dead["revocationReason"], Is.EqualTo("task_completed"));
            Assert.That(dead["downstream"]!["revokedAt"], Is.Not.Null);
            Assert.That(dead["downstream"]!["verifiedAt"], Is.Not.Null, "the backend itself refused the secret");
            Assert.That(_app.Logs.GetSnapshot().Select(r => r.Message), Has.None.Contains(password), "the password is never logged");
        });
    }

    [Test]
    public async Task Pausing_the_task_revokes_its_secrets_downstream_and_keeps_the_task_token()
    {
        await StartAsync(BrokerApp.Redis());
        using var processed = new ProcessedSignal(_app);
        var (taskId, token, parent) = await NewTaskAsync();
        await Orchestrator.ChangeStateAsync(taskId, "running");
        var (_, secret) = await ExchangeAsync(token);
        var session = await LogInAsync(secret);

        await Orchestrator.ChangeStateAsync(taskId, "paused");
        await processed.WaitForAsync(1, Patience);
        var refused = await _backend.LogInAsync(secret);
        var taskToken = await CredentialAsync(taskId, parent);

        Assert.Multiple(async () =>
        {
            Assert.That(refused, Is.Null);
            Assert.That(await session.WorksAsync(), Is.False);
            Assert.That((string?)taskToken["status"], Is.EqualTo("active"), "the policy's stateRevocation default keeps the task token on pause");
            Assert.That((string?)(await CredentialAsync(taskId, (string)secret["id"]!))["revocationReason"], Is.EqualTo("task_state"));
        });
    }

    [Test]
    public async Task A_secret_is_revoked_downstream_when_its_ttl_expires_while_the_task_runs_on()
    {
        await StartAsync(BrokerApp.Redis(), maxTtl: TimeSpan.FromMinutes(1));
        using var processed = new ProcessedSignal(_app);
        var (taskId, token, parent) = await NewTaskAsync();
        var (response, secret) = await ExchangeAsync(token);
        var session = await LogInAsync(secret);

        _app.Time.Advance(TimeSpan.FromSeconds(61));
        await processed.WaitForAsync(1, Patience);
        var refused = await _backend.LogInAsync(secret);
        var expired = await CredentialAsync(taskId, (string)secret["id"]!);

        Assert.Multiple(async () =>
        {
            Assert.That((long)response["expires_in"]!, Is.EqualTo(60));
            Assert.That(refused, Is.Null, "the broker dropped it; the backend's own clock has not reached the expiry yet");
            Assert.That(await session.WorksAsync(), Is.False);
            Assert.That((string?)expired["status"], Is.EqualTo("expired"));
            Assert.That(expired["downstream"]!["verifiedAt"], Is.Not.Null);
            Assert.That((string?)(await CredentialAsync(taskId, parent))["status"], Is.EqualTo("active"));
        });
    }

    [Test]
    public async Task An_incident_revoking_by_resource_destroys_the_secret_and_reports_the_backends_own_times()
    {
        await StartAsync(BrokerApp.Redis());
        var soc = _app.As(BrokerApp.Soc);
        var (taskId, token, parent) = await NewTaskAsync();
        var (_, secret) = await ExchangeAsync(token);
        var session = await LogInAsync(secret);
        var notifiedAt = _app.Time.GetUtcNow().UtcDateTime.ToString("O");
        _app.Time.Advance(TimeSpan.FromSeconds(2));

        using var watch = new RevocationWatch(_app);
        var declared = await soc.PostAsync("/v1/incidents", Api.Json($$"""
            {"title": "leaked {{kind}} login", "severity": "high", "notifiedAt": "{{notifiedAt}}", "selector": {"resource": "{{_backend.Resource}}"}, "revoke": true}
            """));
        Assert.That(declared.StatusCode, Is.EqualTo(HttpStatusCode.Created), await declared.Content.ReadAsStringAsync());
        var incident = await declared.JsonAsync();
        var revocation = await soc.WaitUntilDoneAsync(watch, (string)incident["revocationId"]!, Patience);
        var report = await (await soc.GetAsync($"/v1/incidents/{(string)incident["id"]!}/report")).JsonAsync();
        var refused = await _backend.LogInAsync(secret);
        var reported = report["credentials"]!.AsArray().Single()!;

        Assert.Multiple(async () =>
        {
            Assert.That((string?)revocation["status"], Is.EqualTo("completed"));
            Assert.That((int)revocation["matched"]!["byResource"]![_backend.Resource]!, Is.EqualTo(1), "the resource selector takes the secret only");
            Assert.That((int)revocation["matched"]!["byKind"]!["secret"]!, Is.EqualTo(1));
            Assert.That((int)revocation["downstreamRevoked"]!, Is.EqualTo(1));
            Assert.That((int)revocation["verified"]!, Is.EqualTo(1));
            Assert.That(refused, Is.Null);
            Assert.That(await session.WorksAsync(), Is.False);
            Assert.That((string?)(await CredentialAsync(taskId, parent))["status"], Is.EqualTo("active"));
            Assert.That((string?)reported["jti"], Is.EqualTo((string?)secret["id"]));
            Assert.That((string?)reported["kind"], Is.EqualTo("secret"));
            Assert.That((string?)reported["status"], Is.EqualTo("verified_dead"));
            Assert.That(reported["downstreamRevokedAt"], Is.Not.Null);
            Assert.That(reported["verifiedAt"], Is.Not.Null);
            Assert.That(report["byResource"]!.AsArray().Select(r => (string?)r!["resource"]), Is.EqualTo(new[] { _backend.Resource }));
        });
    }

    [Test]
    public async Task A_bulk_revocation_follows_the_secrets_per_resource_apart_from_the_brokers_own_tokens()
    {
        await StartAsync(BrokerApp.Redis());
        var soc = _app.As(BrokerApp.Soc);
        var (_, token, _) = await NewTaskAsync();
        var (_, first) = await ExchangeAsync(token);
        var (_, second) = await ExchangeAsync(token);

        using var watch = new RevocationWatch(_app);
        var started = await (await soc.BulkRevokeAsync("""{"selector": {"workflowId": "wf-invoices"}, "reason": "contain"}""")).JsonAsync();
        var revocation = await soc.WaitUntilDoneAsync(watch, (string)started["id"]!, Patience);
        var progress = revocation["progressByResource"]!.AsObject();

        Assert.Multiple(async () =>
        {
            Assert.That((string?)revocation["status"], Is.EqualTo("completed"));
            Assert.That(progress.Select(p => p.Key), Is.EqualTo(new[] { "broker", _backend.Resource }).AsCollection, "the task token under broker, the secrets under their resource");
            Assert.That(progress[_backend.Resource]!.ToJsonString(), Is.EqualTo("""{"matched":2,"downstreamRevoked":2,"verified":2,"irrevocable":0}"""));
            Assert.That((int)progress["broker"]!["matched"]!, Is.EqualTo(1));
            Assert.That((int)progress["broker"]!["verified"]!, Is.EqualTo(1));
            Assert.That(await _backend.LogInAsync(first), Is.Null);
            Assert.That(await _backend.LogInAsync(second), Is.Null);
        });
    }

    [Test]
    public async Task A_secret_dies_with_the_delegated_token_it_came_from_and_the_delegator_keeps_its_own()
    {
        await StartAsync(BrokerApp.Redis());
        using var processed = new ProcessedSignal(_app);
        var (taskId, token, parent) = await NewTaskAsync();
        var delegated = await Agent.DelegateAsync(token, _app.Trust.Id(BrokerApp.OtherAgent));
        Assert.That(delegated.StatusCode, Is.EqualTo(HttpStatusCode.OK), await delegated.Content.ReadAsStringAsync());
        var subToken = (string)(await delegated.JsonAsync())["access_token"]!;
        using var subAgent = _app.As(BrokerApp.OtherAgent);
        var (_, secret) = await ExchangeAsync(subToken, subAgent);
        var (_, ownSecret) = await ExchangeAsync(token);
        var session = await LogInAsync(secret);
        var ownSession = await LogInAsync(ownSecret);

        var revoked = await subAgent.RevokeAsync(subToken);
        await processed.WaitForAsync(2, Patience);
        var refused = await _backend.LogInAsync(secret);
        var record = await CredentialAsync(taskId, (string)secret["id"]!);

        Assert.Multiple(async () =>
        {
            Assert.That(revoked.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(refused, Is.Null);
            Assert.That(await session.WorksAsync(), Is.False);
            Assert.That((string?)record["revocationReason"], Is.EqualTo("cascade"));
            Assert.That(record["downstream"]!["verifiedAt"], Is.Not.Null);
            Assert.That(await ownSession.WorksAsync(), Is.True, "the delegator's own secret is not derived from the revoked token");
            Assert.That((string?)(await CredentialAsync(taskId, parent))["status"], Is.EqualTo("active"));
        });
    }

    [Test]
    public async Task A_backend_down_during_revocation_is_retried_and_the_secret_revoked_and_verified_once_it_is_back()
    {
        await StartAsync(BrokerApp.Redis(), privateBackend: true);
        _app.Settings["CredentialBroker:Revoker:DownstreamAttempts"] = "2";
        _app.Settings["CredentialBroker:Revoker:DownstreamRetryDelay"] = "00:00:00.010";
        _app.Settings["CredentialBroker:Revoker:IrrevocableRetryInterval"] = "00:00:00.250";
        var (taskId, token, _) = await NewTaskAsync();
        var (_, secret) = await ExchangeAsync(token);
        var jti = (string)secret["id"]!;
        Assert.That(await (await LogInAsync(secret)).WorksAsync(), Is.True);

        await _backend.StopAsync();
        await Orchestrator.ChangeStateAsync(taskId, "completed");
        await Poll.UntilAsync(async () => (await CredentialAsync(taskId, jti))["downstream"]?["irrevocable"]?.GetValue<bool>() == true, Patience, "the secret is marked irrevocable while its backend is down");
        var whileDown = await CredentialAsync(taskId, jti);
        await _backend.StartAsync();
        await Poll.UntilAsync(async () =>
        {
            _app.Time.Advance(TimeSpan.FromSeconds(1)); // each irrevocable retry comes due on the broker's clock
            return (await CredentialAsync(taskId, jti))["downstream"]?["verifiedAt"] is not null;
        }, Patience, "the secret is revoked and verified after the restart");
        var after = await CredentialAsync(taskId, jti);

        Assert.Multiple(async () =>
        {
            Assert.That((int)whileDown["downstream"]!["attempts"]!, Is.EqualTo(2));
            Assert.That((string?)whileDown["downstream"]!["lastError"], Is.Not.Null.And.Not.Contains((string)secret["password"]!));
            Assert.That((bool)after["downstream"]!["irrevocable"]!, Is.False);
            Assert.That(await _backend.LogInAsync(secret), Is.Null);
        });
    }

    [Test]
    public async Task An_orphan_left_by_a_broker_that_died_after_the_backend_call_is_removed_by_another_replica()
    {
        await StartAsync(BrokerApp.Redis());
        var dying = new DyingIssuerState();
        _app.TestServices = services => DyingIssuer.Replace(services, dying);
        var (taskId, token, _) = await NewTaskAsync();

        var crashed = await Agent.SecretAsync(token, _backend.Resource);
        var orphan = dying.Issued ?? throw new AssertionException("the backend was never called");
        var worksAfterCrash = await (await LogInAsync(orphan)).WorksAsync();
        var survivor = _app.Replica();
        _apps.Insert(0, survivor);
        _app.Stop();
        _app = survivor;
        using var processed = new ProcessedSignal(survivor);
        _ = survivor.Server;
        survivor.Time.Advance(TimeSpan.FromSeconds(30)); // SecretIssueTimeout: the issue is given up
        await processed.WaitForAsync(1, Patience);
        var record = await CredentialAsync(taskId, (string)orphan["id"]!);

        Assert.Multiple(async () =>
        {
            Assert.That(crashed.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError), "the issuing broker died before it could answer");
            Assert.That(worksAfterCrash, Is.True, "the orphan exists downstream");
            Assert.That(await _backend.LogInAsync(orphan), Is.Null, "the surviving replica removed it");
            Assert.That((string?)record["revocationReason"], Is.EqualTo(RevocationReasons.IssueIncomplete));
            Assert.That(record["downstream"]!["verifiedAt"], Is.Not.Null);
        });
    }

    [Test]
    public async Task Development_mode_issues_and_revokes_with_the_same_settings()
    {
        await StartAsync(BrokerApp.Dev());
        using var processed = new ProcessedSignal(_app);
        var (taskId, token, _) = await NewTaskAsync();
        var (_, secret) = await ExchangeAsync(token);
        var session = await LogInAsync(secret);
        var worked = await session.WorksAsync();

        await Orchestrator.ChangeStateAsync(taskId, "completed");
        await processed.WaitForAsync(2, Patience);

        Assert.Multiple(async () =>
        {
            Assert.That(worked, Is.True);
            Assert.That(await _backend.LogInAsync(secret), Is.Null);
            Assert.That(await session.WorksAsync(), Is.False);
        });
    }

    [Test]
    public async Task A_resource_the_task_does_not_grant_or_no_provider_serves_is_refused_before_the_backend_is_called()
    {
        await StartAsync(BrokerApp.Redis());
        var (taskId, token, _) = await NewTaskAsync();
        var other = await Orchestrator.CreateTaskOkAsync(_app.AgentId, destination: "https://crm.example/api");

        var ungranted = await (await Agent.SecretAsync(other.Token, _backend.Resource)).JsonAsync();
        var unserved = await (await Agent.SecretAsync(other.Token, "https://crm.example/api")).JsonAsync();
        var granted = await Agent.SecretAsync(token, _backend.Resource);
        var task = await (await Orchestrator.GetAsync($"/v1/tasks/{other.TaskId}")).JsonAsync();

        Assert.Multiple(() =>
        {
            Assert.That((string?)ungranted["error"], Is.EqualTo("invalid_target"));
            Assert.That((string?)ungranted["code"], Is.EqualTo("target-not-granted"));
            Assert.That((string?)unserved["error"], Is.EqualTo("invalid_target"));
            Assert.That((string?)unserved["code"], Is.EqualTo("secret-provider-unknown"));
            Assert.That(granted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(task["credentials"]!.AsArray(), Has.Count.EqualTo(1), "nothing was recorded for the refusals");
        });
    }

    /// <summary>What the dying issuer saw: the secret the backend created before the broker "died".</summary>
    private sealed class DyingIssuerState
    {
        public JsonObject? Issued { get; set; }
    }

    /// <summary>
    /// The real issuer, but the broker process "dies" right after the backend created the secret: the exchange neither
    /// confirms nor revokes it (an exception escapes, as a kill would leave things), so only the issuing mark remains.
    /// </summary>
    private sealed class DyingIssuer(ISecretIssuer inner, DyingIssuerState state) : ISecretIssuer
    {
        public static void Replace(IServiceCollection services, DyingIssuerState state)
        {
            var real = services.Last(d => d.ServiceType == typeof(ISecretIssuer));
            services.Remove(real);
            services.AddSingleton<ISecretIssuer>(sp => new DyingIssuer((ISecretIssuer)ActivatorUtilities.CreateInstance(sp, real.ImplementationType!), state));
        }

        public SecretTarget? Find(string resource) => inner.Find(resource);

        public SecretPlan Plan(SecretTarget target, string jti, DateTimeOffset expiresAt) => inner.Plan(target, jti, expiresAt);

        public async ValueTask<IssuedSecretValue> IssueAsync(SecretPlan plan, CancellationToken cancellationToken)
        {
            var issued = await inner.IssueAsync(plan, cancellationToken);
            var secret = new JsonObject { ["id"] = plan.Jti, ["username"] = plan.Username, ["password"] = issued.Secret };
            foreach (var (name, value) in issued.Fields)
            {
                secret[name] = value switch
                {
                    string text => text,
                    int number => number,
                    IEnumerable<string> items => new JsonArray([.. items.Select(i => (JsonNode?)i)]),
                    _ => secret[name],
                };
            }

            state.Issued = secret;
            throw new InvalidOperationException("simulated crash between the backend call and the confirmation");
        }
    }
}
