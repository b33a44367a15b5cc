using System.Diagnostics;
using System.Net;
using CredentialBroker.Abstractions;
using CredentialBroker.Server.Tests.Downstream;
using CredentialBroker.Server.Tests.Soc;
using CredentialBroker.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace CredentialBroker.Server.Tests.Telemetry;

/// <summary>
/// The broker's spans (docs/operations.md, "Traces") through OpenTelemetry's in-memory exporter, against a real Redis and a
/// real downstream backend: one task's issuance, exchanges, revocation, completion and the revoker's downstream work, each
/// named by task id and <c>jti</c>, and no span holding a token, an SVID or a password.
/// </summary>
public sealed class TracingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Issuance_exchange_and_revocation_are_traced_by_id_and_no_span_holds_a_token_or_secret()
    {
        await using var backend = await SecretBackend.CreateAsync("redis");
        using var app = BrokerApp.Redis();
        backend.Configure(app.Settings);
        var spans = new SpanCollection();
        app.TestServices = services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans));
        var orchestrator = app.As(BrokerApp.Orchestrator);
        var agent = app.As(BrokerApp.Agent);

        var (taskId, taskToken, taskJti) = await orchestrator.CreateTaskOkAsync(app.AgentId, destination: backend.Resource);
        var accessResponse = await agent.AccessTokenAsync(taskToken, backend.Resource);
        var accessToken = (string)(await accessResponse.JsonAsync())["access_token"]!;
        var accessJti = (string)JwtParts.Payload(accessToken)["jti"]!;
        var secretResponse = await agent.SecretAsync(taskToken, backend.Resource);
        var secret = (await secretResponse.JsonAsync())["secret"]!.AsObject();
        var (secretJti, password) = ((string)secret["id"]!, (string)secret["password"]!);
        var revoked = await agent.RevokeAsync(accessToken);
        var completed = await orchestrator.ChangeStateAsync(taskId, "completed");
        var refused = await agent.AccessTokenAsync(taskToken, backend.Resource);

        var issue = await spans.WaitForAsync(s => Named(s, BrokerTelemetry.TaskIssueSpan) && Tag(s, BrokerTelemetryTags.TaskId) == taskId, Patience, "the issuance");
        var request = await spans.WaitForAsync(s => s.SpanId == issue.ParentSpanId, Patience, "the issuance's request span");
        var secretProcessed = await spans.WaitForAsync(
            s => Named(s, BrokerTelemetry.RevocationProcessSpan) && Tag(s, BrokerTelemetryTags.Jti) == secretJti, Patience, "the secret's downstream revocation");
        var accessProcessed = await spans.WaitForAsync(
            s => Named(s, BrokerTelemetry.RevocationProcessSpan) && Tag(s, BrokerTelemetryTags.Jti) == accessJti, Patience, "the access token's revocation");
        var taskTokenProcessed = await spans.WaitForAsync(
            s => Named(s, BrokerTelemetry.RevocationProcessSpan) && Tag(s, BrokerTelemetryTags.Jti) == taskJti, Patience, "the task token's revocation");
        var all = spans.Snapshot();
        var ofTask = all.Where(s => s.Source.Name == BrokerTelemetry.Name && Tag(s, BrokerTelemetryTags.TaskId) == taskId).ToList();
        var exchanges = ofTask.Where(s => Named(s, BrokerTelemetry.TokenExchangeSpan)).ToList();
        var accessExchange = exchanges.Single(s => Tag(s, BrokerTelemetryTags.Jti) == accessJti);
        var secretExchange = exchanges.Single(s => Tag(s, BrokerTelemetryTags.Jti) == secretJti);
        var refusedExchange = exchanges.Single(s => Tag(s, BrokerTelemetryTags.Jti) is null);
        var secretIssue = all.Single(s => Named(s, BrokerTelemetry.SecretIssueSpan) && Tag(s, BrokerTelemetryTags.Jti) == secretJti);
        var revocation = ofTask.Single(s => Named(s, BrokerTelemetry.TokenRevokeSpan));
        var stateChange = ofTask.Single(s => Named(s, BrokerTelemetry.TaskStateChangeSpan));
        var downstream = all.Where(s => s.ParentSpanId == secretProcessed.SpanId).ToList();
        string[] secrets = [taskToken, accessToken, password, Bearer(orchestrator), Bearer(agent), .. JwtSegments(taskToken), .. JwtSegments(accessToken)];

        Assert.Multiple(() =>
        {
            Assert.That((accessResponse.StatusCode, secretResponse.StatusCode, revoked.StatusCode, completed.StatusCode, refused.StatusCode),
                Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.BadRequest)));

            // Issuance: a child of ASP.NET Core's request span, named by ids.
            Assert.That(request.Source.Name, Is.EqualTo("Microsoft.AspNetCore"));
            Assert.That(Tag(issue, BrokerTelemetryTags.Jti), Is.EqualTo(taskJti));
            Assert.That(Tag(issue, BrokerTelemetryTags.Caller), Is.EqualTo(app.Trust.Id(BrokerApp.Orchestrator)));
            Assert.That(Tag(issue, BrokerTelemetryTags.Agent), Is.EqualTo(app.AgentId));
            Assert.That(Tag(issue, BrokerTelemetryTags.Outcome), Is.EqualTo("issued"));

            // Exchanges: the subject's jti and the new credential's; the backend's call a child span of the secret's exchange.
            Assert.That(Tag(accessExchange, BrokerTelemetryTags.SubjectJti), Is.EqualTo(taskJti));
            Assert.That(Tag(accessExchange, BrokerTelemetryTags.CredentialKind), Is.EqualTo("access_token"));
            Assert.That(Tag(accessExchange, BrokerTelemetryTags.Resource), Is.EqualTo(backend.Resource));
            Assert.That(Tag(accessExchange, BrokerTelemetryTags.Caller), Is.EqualTo(app.AgentId));
            Assert.That(Tag(accessExchange, BrokerTelemetryTags.Outcome), Is.EqualTo("issued"));
            Assert.That(Tag(secretExchange, BrokerTelemetryTags.CredentialKind), Is.EqualTo("secret"));
            Assert.That(secretIssue.ParentSpanId, Is.EqualTo(secretExchange.SpanId));
            Assert.That(Tag(secretIssue, BrokerTelemetryTags.Provider), Is.EqualTo(SecretBackend.Provider));
            Assert.That(Tag(secretIssue, BrokerTelemetryTags.Outcome), Is.EqualTo("issued"));
            Assert.That(Tag(refusedExchange, BrokerTelemetryTags.Outcome), Is.EqualTo("task-closed").Or.EqualTo("subject-inactive"));

            // Revocation by the holder, the state change, the revoker's downstream work and its probe.
            Assert.That(Tag(revocation, BrokerTelemetryTags.Jti), Is.EqualTo(accessJti));
            Assert.That(revocation.GetTagItem(BrokerTelemetryTags.Revoked), Is.EqualTo(1));
            Assert.That(Tag(revocation, BrokerTelemetryTags.Outcome), Is.EqualTo("revoked"));
            Assert.That(Tag(stateChange, BrokerTelemetryTags.TaskState), Is.EqualTo("completed"));
            Assert.That(Tag(stateChange, BrokerTelemetryTags.Outcome), Is.EqualTo("changed"));
            Assert.That(Tag(accessProcessed, BrokerTelemetryTags.RevocationReason), Is.EqualTo("holder"));
            Assert.That(Tag(taskTokenProcessed, BrokerTelemetryTags.RevocationReason), Is.EqualTo("task_completed"));
            Assert.That(Tag(secretProcessed, BrokerTelemetryTags.RevocationReason), Is.EqualTo("task_completed"));
            Assert.That(Tag(secretProcessed, BrokerTelemetryTags.Provider), Is.EqualTo(SecretBackend.Provider));
            Assert.That(Tag(secretProcessed, BrokerTelemetryTags.Outcome), Is.EqualTo("verified"));
            Assert.That(downstream.Select(s => (s.OperationName, Tag(s, BrokerTelemetryTags.Outcome))), Is.SupersetOf(new[]
            {
                (BrokerTelemetry.DownstreamRevokeSpan, (string?)"revoked"),
                (BrokerTelemetry.DownstreamVerifySpan, (string?)"verified"),
            }));

            // Never a token, an SVID, a JWT's payload or signature, or a password: in any span of this process.
            foreach (var value in secrets)
            {
                Assert.That(all.SelectMany(Texts), Has.None.Contains(value), "a span holds a credential");
            }
        });
    }

    [Test]
    public async Task A_bulk_revocation_fan_out_is_traced_by_its_id_and_the_credentials_it_revoked()
    {
        using var app = BrokerApp.Redis();
        var spans = new SpanCollection();
        app.TestServices = services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans));
        var (taskId, taskToken, taskJti) = await app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(app.AgentId);
        var accessToken = (string)(await (await app.As(BrokerApp.Agent).AccessTokenAsync(taskToken)).JsonAsync())["access_token"]!;

        var accepted = await app.As(BrokerApp.Soc).BulkRevokeAsync($$"""{"selector": {"workload": "{{app.AgentId}}"}, "reason": "contain"}""");
        var id = (string)(await accepted.JsonAsync())["id"]!;
        var fanOut = await spans.WaitForAsync(s => Named(s, BrokerTelemetry.BulkRevocationFanOutSpan) && Tag(s, BrokerTelemetryTags.BulkRevocationId) == id, Patience, "the fan-out");
        var processed = await spans.WaitForAsync(
            s => Named(s, BrokerTelemetry.RevocationProcessSpan) && Tag(s, BrokerTelemetryTags.Jti) == taskJti, Patience, "the task token's revocation");

        Assert.Multiple(() =>
        {
            Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
            Assert.That(fanOut.GetTagItem(BrokerTelemetryTags.Matched), Is.EqualTo(2), "the task token and its access token");
            Assert.That(Tag(fanOut, BrokerTelemetryTags.Outcome), Is.EqualTo("revoked"));
            Assert.That(Tag(processed, BrokerTelemetryTags.TaskId), Is.EqualTo(taskId));
            Assert.That(Tag(processed, BrokerTelemetryTags.RevocationReason), Is.EqualTo("bulk"));
            Assert.That(spans.Snapshot().SelectMany(Texts), Has.None.Contains(taskToken).And.None.Contains(accessToken));
        });
    }

    private static bool Named(Activity span, string name) => span.Source.Name == BrokerTelemetry.Name && span.OperationName == name;

    private static string? Tag(Activity span, string key) => span.GetTagItem(key)?.ToString();

    private static string Bearer(HttpClient client) => client.DefaultRequestHeaders.Authorization!.Parameter!;

    private static IEnumerable<string> JwtSegments(string token) => token.Split('.').Skip(1);

    private static IEnumerable<string> Texts(Activity span) =>
    [
        span.DisplayName,
        span.StatusDescription ?? string.Empty,
        .. span.TagObjects.Select(t => $"{t.Key}={t.Value}"),
        .. span.Events.SelectMany(e => e.Tags.Select(t => $"{e.Name}:{t.Key}={t.Value}")),
        .. span.Baggage.Select(b => $"{b.Key}={b.Value}"),
    ];
}
