using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CredentialBroker.Testing;

namespace CredentialBroker.LoadHarness;

/// <summary>
/// Load under faults: clients keep issuing tasks, exchanging their tokens and completing every other task at a steady
/// pace, spread over two broker processes on one redis-server, while Redis is frozen (<c>SIGSTOP</c>) and thawed and then
/// one broker replica is killed (<c>SIGKILL</c>). A client whose replica refuses or resets the connection sends the request to the
/// other one, as a load balancer would. Reports what the clients saw in each phase (status counts, p99) and then checks,
/// on the surviving replica, that nothing the broker acknowledged was lost: every task it answered 201 for exists,
/// every completion it answered 200 for holds, and every access token of a completed task is inactive.
/// <c>dotnet run -c Release --project test/CredentialBroker.LoadHarness -- faults [--smoke]</c>
/// </summary>
internal static class LoadUnderFaults
{
    private const string Agent = Scenarios.Agent;

    private enum Phase
    {
        Steady,
        RedisFrozen,
        RedisThawed,
        ReplicaKilled,
    }

    public static async Task<(List<string> Rows, List<string> Failures)> RunAsync(bool smoke)
    {
        var phaseLength = TimeSpan.FromSeconds(smoke ? 3 : 10);
        var frozenLength = TimeSpan.FromSeconds(smoke ? 6 : 10); // past the broker's Redis timeouts and retries (about 3 s), so clients see 503s
        var workers = smoke ? 4 : 16;
        var pace = TimeSpan.FromMilliseconds(50); // each worker starts an iteration (create, exchange, maybe complete) at most every 50 ms

        await using var redis = await RedisServer.StartPrivateAsync();
        using var trust = new TestTrustDomain("load.example");
        var urls = Enumerable.Range(0, 2).Select(_ => $"http://127.0.0.1:{BrokerProcess.FreePort()}").ToList();
        var settings = BrokerUnderTest.Settings(redis.ConnectionString, urls[0], trust);
        var brokers = new List<BrokerProcess>();
        var clients = new Dictionary<(int Replica, string Path), HttpClient>();
        try
        {
            foreach (var url in urls)
            {
                brokers.Add((await BrokerUnderTest.StartProcessAsync(settings, url)).Broker);
            }

            foreach (var (url, replica) in urls.Select((u, i) => (u, i)))
            {
                foreach (var path in (string[])["/orchestrator", "/agents/bot", "/soc"])
                {
                    var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri(url) };
                    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", trust.Minter.Mint(path, urls[0], TimeProvider.System.GetUtcNow(), TimeSpan.FromHours(1)));
                    clients[(replica, path)] = client;
                }
            }

            var load = new Load(clients, urls.Count);
            using var stop = new CancellationTokenSource();
            var running = Enumerable.Range(0, workers).Select(w => Task.Run(() => load.RunAsync(w, pace, stop.Token))).ToList();

            await Task.Delay(phaseLength);
            load.Enter(Phase.RedisFrozen);
            redis.Pause();
            await Task.Delay(frozenLength);
            redis.Resume();
            load.Enter(Phase.RedisThawed);
            await Task.Delay(phaseLength);
            load.Enter(Phase.ReplicaKilled);
            Signals.Kill(brokers[1].ProcessId);
            await Task.Delay(phaseLength);
            await stop.CancelAsync();
            await Task.WhenAll(running);

            var rows = new List<string>();
            foreach (var phase in Enum.GetValues<Phase>())
            {
                var seen = load.Seen.Where(s => s.Phase == phase).ToList();
                var counts = string.Join(", ", seen.GroupBy(s => s.Outcome).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}: {g.Count():N0}"));
                rows.Add($"| load under faults ({workers} clients over 2 replicas, one iteration per client per {pace.TotalMilliseconds:0} ms): {Describe(phase, phase == Phase.RedisFrozen ? frozenLength : phaseLength)} | {counts}; {new Percentiles(seen.Select(s => s.Milliseconds)).Describe()} |");
            }

            var (lostTasks, lostRevocations, liveAccessTokens) = await VerifyAsync(load, clients[(0, "/orchestrator")], clients[(0, "/soc")]);
            rows.Add($"| … acknowledged: {load.Tasks.Count:N0} tasks (201), {load.AccessTokens.Count:N0} exchanges (200), {load.Completed.Count:N0} completions (200); checked on the surviving replica | " +
                     $"tasks lost {lostTasks}, completions lost {lostRevocations}, access tokens of completed tasks still active {liveAccessTokens} |");

            var failures = new List<string>();
            var unexpected = load.Seen.Where(s => s.Outcome is not ("200" or "201" or "503+Retry-After" or "connection failed → other replica" or "409 on a retried completion")).ToList();
            if (unexpected.Count > 0)
            {
                failures.Add("faults: unexpected answers: " + string.Join(", ", unexpected.GroupBy(s => $"{s.Operation} {s.Outcome}").Select(g => $"{g.Key} ×{g.Count()} (first: {g.First().Body})")));
            }

            if (lostTasks + lostRevocations + liveAccessTokens > 0)
            {
                failures.Add($"faults: {lostTasks} acknowledged tasks lost, {lostRevocations} acknowledged completions lost, {liveAccessTokens} access tokens of completed tasks active.");
            }

            if (load.Tasks.IsEmpty || load.Completed.IsEmpty || load.Seen.All(s => s.Phase != Phase.ReplicaKilled || s.Outcome is not ("200" or "201")))
            {
                failures.Add("faults: the load did not keep being served after the replica was killed.");
            }

            return (rows, failures);
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                client.Dispose();
            }

            foreach (var broker in brokers)
            {
                await broker.DisposeAsync();
            }
        }
    }

    private static string Describe(Phase phase, TimeSpan length) => phase switch
    {
        Phase.Steady => $"steady, {length.TotalSeconds:0} s",
        Phase.RedisFrozen => $"Redis frozen (SIGSTOP), {length.TotalSeconds:0} s",
        Phase.RedisThawed => $"Redis thawed (SIGCONT), {length.TotalSeconds:0} s",
        _ => $"one broker replica killed (SIGKILL), {length.TotalSeconds:0} s",
    };

    private static async Task<(int LostTasks, int LostRevocations, int LiveAccessTokens)> VerifyAsync(Load load, HttpClient orchestrator, HttpClient soc)
    {
        int lostTasks = 0, lostRevocations = 0, liveAccessTokens = 0;
        foreach (var (taskId, token) in load.Tasks)
        {
            using var found = await orchestrator.GetAsync($"/v1/tasks/{taskId}");
            if (found.StatusCode != HttpStatusCode.OK)
            {
                lostTasks++;
                continue;
            }

            if (load.Completed.ContainsKey(taskId))
            {
                var state = (string?)JsonNode.Parse(await found.Content.ReadAsStringAsync())!["state"];
                if (state != "completed" || await Scenarios.IsActiveAsync(soc, token))
                {
                    lostRevocations++;
                }
            }
        }

        foreach (var (taskId, accessToken) in load.AccessTokens)
        {
            if (load.Completed.ContainsKey(taskId) && await Scenarios.IsActiveAsync(soc, accessToken))
            {
                liveAccessTokens++;
            }
        }

        return (lostTasks, lostRevocations, liveAccessTokens);
    }

    private sealed record Sample(Phase Phase, string Operation, string Outcome, double Milliseconds, string? Body = null);

    /// <summary>The clients: what they sent, what they were answered, and what the broker acknowledged.</summary>
    private sealed class Load(Dictionary<(int Replica, string Path), HttpClient> clients, int replicas)
    {
        private volatile Phase _phase = Phase.Steady;

        public ConcurrentBag<Sample> Seen { get; } = [];

        public ConcurrentDictionary<string, string> Tasks { get; } = new();

        public ConcurrentBag<(string TaskId, string AccessToken)> AccessTokens { get; } = [];

        public ConcurrentDictionary<string, bool> Completed { get; } = new();

        public void Enter(Phase phase) => _phase = phase;

        public async Task RunAsync(int worker, TimeSpan pace, CancellationToken stop)
        {
            using var timer = new PeriodicTimer(pace);
            var iteration = 0;
            try
            {
                while (await timer.WaitForNextTickAsync(stop))
                {
                    var replica = (worker + iteration) % replicas;
                    var created = await SendAsync(replica, "/orchestrator", "create", () => new HttpRequestMessage(HttpMethod.Post, "/v1/tasks")
                    {
                        Content = new StringContent($$"""{"agent": "{{Agent}}", "workflow": {"id": "wf-faults", "designer": "perf", "version": "1"}, "authorization": [{"tool": "sql.query", "destination": "{{Scenarios.Resource}}", "actions": ["read"], "dataClass": "confidential"}], "ttlSeconds": 900}""", Encoding.UTF8, "application/json"),
                    });
                    if (created is not { } taskBody)
                    {
                        continue;
                    }

                    var taskId = (string)taskBody["taskId"]!;
                    var taskToken = (string)taskBody["token"]!;
                    Tasks[taskId] = taskToken;
                    var exchanged = await SendAsync(replica, "/agents/bot", "exchange", () => new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
                    {
                        Content = new FormUrlEncodedContent(new Dictionary<string, string>
                        {
                            ["grant_type"] = "urn:ietf:params:oauth:grant-type:token-exchange",
                            ["subject_token"] = taskToken,
                            ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt",
                            ["resource"] = Scenarios.Resource,
                        }),
                    });
                    if (exchanged is { } exchangeBody)
                    {
                        AccessTokens.Add((taskId, (string)exchangeBody["access_token"]!));
                    }

                    if (iteration++ % 2 == 0 && await SendAsync(replica, "/orchestrator", "complete", () => new HttpRequestMessage(HttpMethod.Post, $"/v1/tasks/{taskId}/state")
                        {
                            Content = new StringContent("""{"state":"completed"}""", Encoding.UTF8, "application/json"),
                        }) is not null)
                    {
                        Completed[taskId] = true;
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }

        /// <summary>Sends to <paramref name="replica"/>, or to the other one when it refuses the connection; returns the body of a 2xx.</summary>
        private async Task<JsonObject?> SendAsync(int replica, string path, string operation, Func<HttpRequestMessage> request)
        {
            for (var attempt = 0; attempt < replicas; attempt++)
            {
                var phase = _phase;
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var message = request();
                    using var response = await clients[((replica + attempt) % replicas, path)].SendAsync(message);
                    var body = await response.Content.ReadAsStringAsync();
                    var outcome = response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is not null ? "503+Retry-After"
                        // The replica that died may have completed the task before the connection broke: the retry finds it ended.
                        : response.StatusCode == HttpStatusCode.Conflict && attempt > 0 && operation == "complete" ? "409 on a retried completion"
                        : ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    Seen.Add(new Sample(phase, operation, outcome, Stopwatch.GetElapsedTime(started).TotalMilliseconds, response.IsSuccessStatusCode ? null : body));
                    return response.IsSuccessStatusCode ? JsonNode.Parse(body)!.AsObject() : null;
                }
                catch (HttpRequestException)
                {
                    // Refused or reset: the replica is gone (a reset request may have been done there, but was never acknowledged).
                    Seen.Add(new Sample(phase, operation, "connection failed → other replica", Stopwatch.GetElapsedTime(started).TotalMilliseconds));
                }
            }

            return null;
        }
    }
}
