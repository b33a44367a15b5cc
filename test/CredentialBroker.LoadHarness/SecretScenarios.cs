using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace CredentialBroker.LoadHarness;

/// <summary>
/// The downstream-secret scenarios: an agent exchanges its task token for a login of its own on a real backend
/// (docs/backends.md); completing the task, or a SOC bulk revocation, destroys the login and the broker proves it dead.
/// Each drives the broker over HTTP exactly as clients do, and tries the secrets against the backend as an agent would.
/// Passwords stay in memory: nothing here prints or logs one.
/// </summary>
internal static class SecretScenarios
{
    /// <summary>Secrets one task exchanges in the issue-latency scenario (a task may hold 1,000 credentials).</summary>
    private const int SecretsPerTask = 100;

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(30);

    /// <summary>Exchanges <paramref name="taskToken"/> for a downstream secret of <paramref name="resource"/>; returns the response's <c>secret</c> object.</summary>
    public static async Task<JsonObject> ExchangeAsync(HttpClient agent, string taskToken, string resource)
    {
        using var response = await agent.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:token-exchange",
            ["subject_token"] = taskToken,
            ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt",
            ["requested_token_type"] = "urn:credentialbroker:token-type:secret",
            ["resource"] = resource,
        }));
        if (response.StatusCode != HttpStatusCode.OK)
        {
            // An error answer carries no secret.
            throw new InvalidOperationException($"The secret exchange for {resource} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["secret"]!.AsObject();
    }

    /// <summary>
    /// Issue latency: one agent exchanges task tokens for secrets one at a time (each sample is one uncontended path:
    /// the exchange checks, the record of the plan, the backend creating the login, the confirmation), from sending the
    /// POST to the 200. The secrets are revoked afterwards, and the scenario returns once every one is verified dead,
    /// so they weigh on nothing measured later.
    /// </summary>
    public static async Task<Percentiles> IssueLatencyAsync(BrokerUnderTest broker, SecretBackendUnderTest backend, int secrets)
    {
        using var orchestrator = broker.ClientAs("/orchestrator");
        using var agent = broker.ClientAs("/agents/bot");
        var samples = new List<double>(secrets);
        var tasks = new List<string>();
        var token = string.Empty;
        for (var i = 0; i < secrets; i++)
        {
            if (i % SecretsPerTask == 0)
            {
                (var taskId, token) = await Scenarios.CreateTaskAsync(orchestrator, destination: backend.Resource);
                tasks.Add(taskId);
            }

            var started = Stopwatch.GetTimestamp();
            await ExchangeAsync(agent, token, backend.Resource);
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        foreach (var taskId in tasks)
        {
            await Scenarios.CompleteAsync(orchestrator, taskId);
        }

        foreach (var taskId in tasks)
        {
            await WaitUntilSecretsDeadAsync(orchestrator, taskId);
        }

        return new Percentiles(samples);
    }

    /// <summary>What task completion → secret verified dead took, per task (all in milliseconds).</summary>
    /// <param name="Seen">From sending the completion to the harness reading <c>downstream.verifiedAt</c> in <c>GET /v1/tasks/{id}</c>.</param>
    /// <param name="Dropped">The broker's own record: the secret's <c>revokedAt</c> (the completion) → <c>downstream.revokedAt</c> (the backend dropped the login).</param>
    /// <param name="Verified">The broker's own record: the secret's <c>revokedAt</c> → <c>downstream.verifiedAt</c> (the backend refused a login).</param>
    /// <param name="Sampled">Secrets tried against the backend: before the completion and after their verification.</param>
    /// <param name="WorkedBefore">Of those, how many logged in before the completion.</param>
    /// <param name="RefusedAfter">Of those, how many the backend refused after the broker recorded them verified dead.</param>
    public sealed record CompletionResult(Percentiles Seen, Percentiles Dropped, Percentiles Verified, int Sampled, int WorkedBefore, int RefusedAfter);

    /// <summary>
    /// Task completion → secret verified dead: <paramref name="tasks"/> tasks, one at a time, each holding one secret;
    /// from sending <c>POST /v1/tasks/{id}/state {"state":"completed"}</c> to the task view showing the secret's
    /// <c>downstream.verifiedAt</c> (polled without pause), plus the broker's own times for the same secret. Every
    /// <paramref name="sampleEvery"/>-th secret is also tried against the backend, before and after.
    /// </summary>
    public static async Task<CompletionResult> CompletionToVerifiedAsync(BrokerUnderTest broker, SecretBackendUnderTest backend, int tasks, int sampleEvery)
    {
        using var orchestrator = broker.ClientAs("/orchestrator");
        using var agent = broker.ClientAs("/agents/bot");
        var (seen, dropped, verified) = (new List<double>(tasks), new List<double>(tasks), new List<double>(tasks));
        var (sampled, workedBefore, refusedAfter) = (0, 0, 0);
        for (var i = 0; i < tasks; i++)
        {
            var (taskId, token) = await Scenarios.CreateTaskAsync(orchestrator, destination: backend.Resource);
            var secret = await ExchangeAsync(agent, token, backend.Resource);
            var sample = i % sampleEvery == 0;
            if (sample)
            {
                sampled++;
                workedBefore += await backend.LogsInAsync(secret) ? 1 : 0;
            }

            var started = Stopwatch.GetTimestamp();
            await Scenarios.CompleteAsync(orchestrator, taskId);
            JsonObject record;
            while ((record = await SecretRecordAsync(orchestrator, taskId, (string)secret["id"]!))["downstream"]?["verifiedAt"] is null)
            {
                ThrowIfIrrevocable(record, taskId);
                if (Stopwatch.GetElapsedTime(started) > Patience)
                {
                    throw new InvalidOperationException($"Task {taskId}'s secret was not verified dead within {Patience}.");
                }
            }

            seen.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            var completedAt = (DateTimeOffset)record["revokedAt"]!;
            dropped.Add(((DateTimeOffset)record["downstream"]!["revokedAt"]! - completedAt).TotalMilliseconds);
            verified.Add(((DateTimeOffset)record["downstream"]!["verifiedAt"]! - completedAt).TotalMilliseconds);
            if (sample)
            {
                refusedAfter += await backend.LogsInAsync(secret) ? 0 : 1;
            }
        }

        return new CompletionResult(new Percentiles(seen), new Percentiles(dropped), new Percentiles(verified), sampled, workedBefore, refusedAfter);
    }

    /// <summary>What one bulk revocation of live PostgreSQL roles took (times in milliseconds from sending the POST).</summary>
    /// <param name="Secrets">Live secrets (roles) issued for it.</param>
    /// <param name="Tasks">The tasks holding them.</param>
    /// <param name="IssuedPerSecond">The setup's exchange rate (<c>concurrency</c> in flight).</param>
    /// <param name="RolesBefore">Roles of the generated shape in <c>pg_roles</c> just before the POST.</param>
    /// <param name="Accepted">Until the 202.</param>
    /// <param name="SampleRefused">Until every sampled secret had been refused a login.</param>
    /// <param name="CompletedSeen">Until the harness read <c>status</c> other than <c>running</c> (polled every 100 ms).</param>
    /// <param name="CompletedRecorded">The broker's own <c>completedAt</c> − <c>requestedAt</c>.</param>
    /// <param name="Progress">The final <c>GET /v1/revocations/{id}</c>.</param>
    /// <param name="RolesAfter">Roles of the generated shape left in <c>pg_roles</c> once the revocation completed.</param>
    /// <param name="BulkRolesLeft">Of the bulk's own roles, how many still exist then.</param>
    /// <param name="Sampled">Secrets tried against PostgreSQL.</param>
    /// <param name="SampleWorkedBefore">Of those, how many logged in before the POST.</param>
    /// <param name="SampleRefusedAfter">Of those, how many PostgreSQL refused once the revocation completed.</param>
    public sealed record BulkResult(
        int Secrets, int Tasks, double IssuedPerSecond, long RolesBefore, double Accepted, double SampleRefused, double CompletedSeen,
        double CompletedRecorded, JsonObject Progress, long RolesAfter, long BulkRolesLeft, int Sampled, int SampleWorkedBefore, int SampleRefusedAfter);

    /// <summary>
    /// Bulk revocation of live PostgreSQL roles: <paramref name="secrets"/> secrets exchanged (<paramref name="concurrency"/>
    /// in flight) by tasks holding <paramref name="perTask"/> each, then one <c>POST /v1/revocations</c> selecting the
    /// provider's resource, followed to its end; meanwhile <paramref name="sample"/> random secrets are tried against
    /// PostgreSQL (4 at a time, round after round) until every one is refused. The tasks are completed afterwards.
    /// </summary>
    public static async Task<BulkResult> BulkRevocationAsync(BrokerUnderTest broker, PostgreSqlBackendUnderTest backend, int secrets, int perTask, int sample, int concurrency)
    {
        using var orchestrator = broker.ClientAs("/orchestrator");
        using var agent = broker.ClientAs("/agents/bot");
        using var soc = broker.ClientAs("/soc");
        var workflow = "wf-secrets-" + Guid.NewGuid().ToString("N")[..6];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = concurrency };
        var taskCount = (secrets + perTask - 1) / perTask;
        var tasks = new (string TaskId, string Token)[taskCount];
        await Parallel.ForEachAsync(Enumerable.Range(0, taskCount), parallel, async (t, _) =>
            tasks[t] = await Scenarios.CreateTaskAsync(orchestrator, 900, workflow, backend.Resource));

        var issued = new JsonObject[secrets];
        var done = 0;
        var progressEvery = Math.Max(secrets / 10, 1);
        var issuing = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, secrets), parallel, async (i, _) =>
        {
            issued[i] = await ExchangeAsync(agent, tasks[i / perTask].Token, backend.Resource);
            var count = Interlocked.Increment(ref done);
            if (count % progressEvery == 0)
            {
                Console.WriteLine($"  {count:N0} of {secrets:N0} secrets issued ({count / Stopwatch.GetElapsedTime(issuing).TotalSeconds:N0}/s)");
            }
        });
        var issuedPerSecond = secrets / Stopwatch.GetElapsedTime(issuing).TotalSeconds;

        var order = Enumerable.Range(0, secrets).ToArray();
        RandomNumberGenerator.Shuffle(order.AsSpan());
        var sampled = order.Take(sample).Select(i => issued[i]).ToList();
        var workedBefore = await CountAsync(backend, sampled, loggedIn: true);
        var rolesBefore = await backend.GeneratedRolesAsync();
        Console.WriteLine($"  {rolesBefore:N0} generated roles in pg_roles; revoking by resource {backend.Resource} …");

        var started = Stopwatch.GetTimestamp();
        using var response = await soc.PostAsync("/v1/revocations", new StringContent(
            $$"""{"selector": {"resource": "{{backend.Resource}}"}, "reason": "load harness bulk revocation of downstream secrets"}""", Encoding.UTF8, "application/json"));
        var accepted = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"POST /v1/revocations answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        var id = (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        using var deadline = new CancellationTokenSource(Patience);
        var refusing = Task.Run(async () =>
        {
            var remaining = sampled;
            while (remaining.Count > 0)
            {
                var stillWorking = new ConcurrentBag<JsonObject>();
                await Parallel.ForEachAsync(remaining, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = deadline.Token }, async (secret, _) =>
                {
                    if (await backend.LogsInAsync(secret))
                    {
                        stillWorking.Add(secret);
                    }
                });
                remaining = [.. stillWorking];
            }

            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        });

        // The status is polled: the harness measures, it asserts nothing.
        JsonObject progress;
        while ((string)(progress = (await soc.GetFromJsonAsync<JsonObject>($"/v1/revocations/{id}", deadline.Token))!)["status"]! == "running")
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
        }

        var completedSeen = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var sampleRefused = await refusing;
        var completedRecorded = progress["completedAt"] is { } completedAt
            ? ((DateTimeOffset)completedAt - (DateTimeOffset)progress["requestedAt"]!).TotalMilliseconds
            : double.NaN;
        var refusedAfter = await CountAsync(backend, sampled, loggedIn: false);
        var rolesAfter = await backend.GeneratedRolesAsync();
        var bulkLeft = await backend.ExistingRolesAsync([.. issued.Select(s => (string)s["username"]!)]);

        // Not measured: the tasks' own tokens would otherwise all expire together later in the run.
        await Parallel.ForEachAsync(tasks, parallel, async (task, _) => await Scenarios.CompleteAsync(orchestrator, task.TaskId));
        return new BulkResult(
            secrets, taskCount, issuedPerSecond, rolesBefore, accepted, sampleRefused, completedSeen, completedRecorded, progress,
            rolesAfter, bulkLeft, sampled.Count, workedBefore, refusedAfter);
    }

    /// <summary>How many of <paramref name="secrets"/> log in (<paramref name="loggedIn"/>) or are refused (otherwise).</summary>
    private static async Task<int> CountAsync(SecretBackendUnderTest backend, IEnumerable<JsonObject> secrets, bool loggedIn)
    {
        var count = 0;
        await Parallel.ForEachAsync(secrets, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (secret, _) =>
        {
            if (await backend.LogsInAsync(secret) == loggedIn)
            {
                Interlocked.Increment(ref count);
            }
        });
        return count;
    }

    private static async Task<JsonObject> SecretRecordAsync(HttpClient orchestrator, string taskId, string jti)
    {
        var task = (await orchestrator.GetFromJsonAsync<JsonObject>($"/v1/tasks/{taskId}"))!;
        return task["credentials"]!.AsArray().Single(c => (string)c!["jti"]! == jti)!.AsObject();
    }

    /// <summary>Waits (polling) until every secret of <paramref name="taskId"/> is verified dead.</summary>
    private static async Task WaitUntilSecretsDeadAsync(HttpClient orchestrator, string taskId)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var task = (await orchestrator.GetFromJsonAsync<JsonObject>($"/v1/tasks/{taskId}"))!;
            var secrets = task["credentials"]!.AsArray().Select(c => c!.AsObject()).Where(c => (string)c["kind"]! == "secret").ToList();
            secrets.ForEach(s => ThrowIfIrrevocable(s, taskId));
            if (secrets.TrueForAll(s => s["downstream"]?["verifiedAt"] is not null))
            {
                return;
            }

            if (Stopwatch.GetElapsedTime(started) > Patience)
            {
                throw new InvalidOperationException($"Task {taskId}'s secrets were not all verified dead within {Patience}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }

    private static void ThrowIfIrrevocable(JsonObject secret, string taskId)
    {
        if (secret["downstream"]?["irrevocable"] is { } irrevocable && (bool)irrevocable)
        {
            throw new InvalidOperationException($"Secret {(string)secret["jti"]!} of task {taskId} was marked irrevocable: {(string?)secret["downstream"]!["lastError"]}");
        }
    }
}
