using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Deployment;

/// <summary>
/// A broker process killed (SIGKILL) in the middle of issuing a task (fault F4). The broker runs with
/// <c>WaitForReplicas</c> 1 on a Redis primary whose only replica is paused (SIGSTOP): each write lands on the primary and
/// the broker then waits for the replica's acknowledgement before going on — which is where it dies, at a point the test
/// chooses by watching the primary's keys. No token exists without a record, and a retry never gets a dead token.
/// </summary>
[NonParallelizable]
public sealed class IssuanceKillTests
{
    private static readonly TimeSpan Bound = Replicas.Bound;
    private RedisServer _primary = null!;
    private RedisServer _replica = null!;
    private TestTrustDomain _trust = null!;
    private Replicas _replicas = null!;

    [SetUp]
    public async Task StartAsync()
    {
        try
        {
            await StartProcessesAsync();
        }
        catch
        {
            // NUnit skips the tear-down of a failed set-up: stop what did start.
            await StopAsync();
            throw;
        }
    }

    private async Task StartProcessesAsync()
    {
        _primary = await RedisServer.StartPrivateAsync();
        _replica = await RedisServer.StartPrivateAsync("--replicaof", "127.0.0.1", _primary.Port.ToString(CultureInfo.InvariantCulture));
        await Poll.UntilAsync(async () =>
        {
            await using var connection = await RespConnection.ConnectAsync("127.0.0.1", _replica.Port);
            return (await connection.SendAsync("INFO", "replication")).Text!.Contains("master_link_status:up", StringComparison.Ordinal);
        }, Bound, "the replica's link to its primary is up");
        _trust = new TestTrustDomain(Replicas.TrustDomain);
        _replicas = await Replicas.StartAsync(_primary.ConnectionString, _trust, count: 1, more: new Dictionary<string, string>
        {
            ["CredentialBroker__Redis__WaitForReplicas"] = "1",
            ["CredentialBroker__Redis__OperationTimeout"] = "00:02:00",
            ["CredentialBroker__Redis__ReplicaWaitTimeout"] = "00:01:00",
        });
    }

    [TearDown]
    public async Task StopAsync()
    {
        if (_replicas is not null)
        {
            await _replicas.DisposeAsync();
        }

        _trust?.Dispose();
        if (_replica is not null)
        {
            await _replica.DisposeAsync();
        }

        if (_primary is not null)
        {
            await _primary.DisposeAsync();
        }
    }

    // Waits until a key ending in keySuffix is on the primary, kills broker 0 there, lets the replica go on and starts
    // another broker; returns the keys found, whether the broker had answered by then, how the caller's request ended and
    // when the kill was (whole seconds, as tokens count time).
    private async Task<(IReadOnlyList<string> Keys, bool AnsweredBeforeKill, HttpRequestException? Failure, long KilledAt)> KillWhenWrittenAsync(Task<HttpResponseMessage> start, string keySuffix, string what)
    {
        var keys = await Poll.ValueAsync(() => _replicas.KeysAsync(keySuffix), k => k.Count > 0, Bound, what);
        var answered = start.IsCompleted;
        var killedAt = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        _replicas.Kill(0);
        var failure = await Assert.CatchAsync<HttpRequestException>(async () => await start, "the killed broker answers nothing");
        _replica.Resume();
        await _replicas.AddAsync();
        return (keys, answered, failure, killedAt);
    }

    private async Task<bool> ActiveAsync(string token)
    {
        using var introspected = await _replicas.As(1, "/soc").IntrospectAsync(token);
        return (bool)(await introspected.JsonAsync())["active"]!;
    }

    [Test]
    public async Task Killed_after_recording_the_task_and_before_signing_no_token_exists_and_ending_the_task_revokes_the_record()
    {
        _replica.Pause();
        var attempt = _replicas.As(0, "/orchestrator").CreateTaskAsync(Replicas.TaskBody("wf-kill", 600));
        var (keys, answered, failure, _) = await KillWhenWrittenAsync(attempt, "}:task:*", "the task is recorded on the primary");
        var taskId = keys.Single()[(keys.Single().LastIndexOf(":task:", StringComparison.Ordinal) + ":task:".Length)..];

        // The record is there, with its one credential — a token never signed, never delivered. Ending the task ends it.
        using var recorded = await _replicas.As(1, "/orchestrator").GetAsync($"/v1/tasks/{taskId}");
        var credentials = (await recorded.JsonAsync())["credentials"]!.AsArray();
        using var completed = await _replicas.As(1, "/orchestrator").ChangeStateAsync(taskId, "completed");
        var ended = await Poll.ValueAsync(
            async () => (await (await _replicas.As(1, "/orchestrator").GetAsync($"/v1/tasks/{taskId}")).JsonAsync())["credentials"]![0]!,
            c => c["downstream"]?["revokedAt"] is not null, Bound, "the revoker finishes the revocation of the record's credential");
        // The twin: the same request on the live broker issues a token whose jti is recorded, active.
        using var twin = await _replicas.As(1, "/orchestrator").CreateTaskAsync(Replicas.TaskBody("wf-kill", 600));
        var issued = await twin.JsonAsync();

        await TestContext.Out.WriteLineAsync(
            $"Broker killed after recording task {taskId} and before signing: the caller got {failure?.GetType().Name}; the record held {credentials.Count} credential " +
            $"({credentials[0]!["status"]}); completed {(int)completed.StatusCode}; its revocation reached the feed at {ended["downstream"]!["revokedAt"]}.");
        Assert.Multiple(async () =>
        {
            Assert.That(answered, Is.False, "the broker had not answered when it was killed");
            Assert.That(failure, Is.Not.Null, "no response, so no token, reached the caller");
            Assert.That(recorded.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(credentials.Select(c => (string?)c!["kind"]), Is.EqualTo(new[] { "task" }), "the record holds the one credential it was about to sign");
            Assert.That(completed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((string?)ended["status"], Is.EqualTo("revoked"));
            Assert.That(twin.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(await ActiveAsync((string)issued["token"]!), Is.True, "the twin's token, recorded and signed, is active");
        });
    }

    [Test]
    public async Task Killed_after_claiming_the_idempotency_key_and_before_recording_the_retry_is_issued_afresh_under_the_same_task_id()
    {
        var body = Replicas.TaskBody("wf-kill", 600);
        var key = "kill-" + Guid.NewGuid().ToString("N");
        _replica.Pause();
        var attempt = _replicas.As(0, "/orchestrator").CreateTaskAsync(body, key);
        var (claims, answered, failure, killedAt) = await KillWhenWrittenAsync(attempt, "idem:*", "the Idempotency-Key is claimed on the primary");
        var tasksAtKill = await _replicas.KeysAsync("}:task:*");
        var claimed = JsonNode.Parse((await _replicas.StringAsync(claims.Single()))!)!;

        // The retry, on another broker process, with the same key and body.
        using var retried = await _replicas.As(1, "/orchestrator").CreateTaskAsync(body, key);
        var retriedBody = await retried.Content.ReadAsStringAsync();
        var issued = JsonNode.Parse(retriedBody)!;
        var token = (string?)issued["token"];
        using var again = await _replicas.As(1, "/orchestrator").CreateTaskAsync(body, key);
        var againBody = JsonNode.Parse(await again.Content.ReadAsStringAsync())!;

        await TestContext.Out.WriteLineAsync(
            $"Broker killed after claiming an Idempotency-Key and before recording its task ({tasksAtKill.Count} tasks recorded then): the caller got {failure?.GetType().Name}; " +
            $"the retry on another process answered {(int)retried.StatusCode} with task {issued["taskId"]}, expiring {issued["expiresAt"]}; a second retry {(int)again.StatusCode}, replayed.");
        Assert.Multiple(async () =>
        {
            Assert.That(answered, Is.False, "the broker had not answered when it was killed");
            Assert.That(tasksAtKill, Is.Empty, "it died before recording the task");
            Assert.That(retried.StatusCode, Is.EqualTo(HttpStatusCode.Created), retriedBody);
            Assert.That(token, Is.Not.Null);
            Assert.That((string?)issued["taskId"], Is.EqualTo((string?)claimed["taskId"]), "under the task id the killed attempt claimed");
            Assert.That((long)JwtParts.Payload(token!)["iat"]!, Is.GreaterThanOrEqualTo(killedAt), "issued with fresh times, not the killed attempt's");
            Assert.That((long)claimed["issuedAt"]!, Is.LessThanOrEqualTo(killedAt), "(the killed attempt's times were from before the kill)");
            Assert.That(await ActiveAsync(token!), Is.True, "the retry's token is recorded and active");
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(again.Headers.TryGetValues("Idempotent-Replayed", out var replayed) && replayed.Single() == "true", Is.True, "a further retry replays it");
            Assert.That((string?)againBody["taskId"], Is.EqualTo((string?)issued["taskId"]), "under the same task id");
            Assert.That((string?)againBody["jti"], Is.EqualTo((string?)issued["jti"]));
        });
    }
}
