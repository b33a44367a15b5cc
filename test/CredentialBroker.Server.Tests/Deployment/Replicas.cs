using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Core.Tasks;
using CredentialBroker.Redis;
using CredentialBroker.Testing;
using StackExchange.Redis;

namespace CredentialBroker.Server.Tests.Deployment;

/// <summary>
/// Up to three broker processes (the real binary, production mode) on one Redis (a cluster or a single server) with one
/// key prefix, and the broker's Redis store to write and read their records. Each replica may reach Redis its own way (a
/// <see cref="PartitionProxy"/>, say).
/// </summary>
internal sealed class Replicas : IAsyncDisposable
{
    public const string TrustDomain = "replicas.example";
    public const string Agent = "spiffe://replicas.example/agents/worker";
    public const string Resource = "https://invoices.replicas.example";
    public static readonly TimeSpan Bound = TimeSpan.FromMinutes(5);
    private const int Count = 3;
    private readonly List<BrokerProcess> _brokers = [];
    private readonly List<string> _urls;
    private readonly Dictionary<string, string> _settings;
    private readonly ConnectionMultiplexer _connection;
    private readonly RedisCredentialStore _store;
    private readonly RedisStoreOptions _options;
    private readonly TestTrustDomain _trust;
    private readonly ConcurrentDictionary<(int, string), HttpClient> _clients = new();

    private Replicas(List<string> urls, Dictionary<string, string> settings, ConnectionMultiplexer connection, RedisStoreOptions options, TestTrustDomain trust)
    {
        _urls = urls;
        _settings = settings;
        _connection = connection;
        _options = options;
        _trust = trust;
        _store = new RedisCredentialStore(RedisContext.Create(connection, options, new CredentialBrokerOptions { Issuer = urls[0] }, TimeProvider.System));
    }

    public static async Task<Replicas> StartAsync(string redis, TestTrustDomain trust, int count = Count, IReadOnlyDictionary<string, string>? more = null)
    {
        var options = new RedisStoreOptions { ConnectionString = redis, KeyPrefix = "k" + Guid.NewGuid().ToString("N")[..8] };
        var urls = Enumerable.Range(0, Count).Select(_ => $"http://127.0.0.1:{BrokerProcess.FreePort()}").ToList();
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information", // "Now listening on" is the start signal
            ["ConnectionStrings__Redis"] = redis,
            ["CredentialBroker__Redis__KeyPrefix"] = options.KeyPrefix,
            ["CredentialBroker__Issuer"] = urls[0], // one issuer, as behind one Service
            ["CredentialBroker__SigningKeys__0__Path"] = KeyFiles.WriteEs256Pem(),
            ["CredentialBroker__TrustBundles__" + TrustDomain] = trust.BundlePath,
            ["CredentialBroker__Roles__Orchestrator__0"] = trust.Id("/orchestrator"),
            ["CredentialBroker__Roles__Agent__0"] = trust.Id("/agents/"),
            ["CredentialBroker__Roles__Soc__0"] = trust.Id("/soc"),
            ["CredentialBroker__ResourceServers__invoices__Id"] = trust.Id("/invoices"),
            ["CredentialBroker__ResourceServers__invoices__Resources__0"] = Resource,
            ["CredentialBroker__Revoker__Lease"] = "00:00:03",
            ["CredentialBroker__Soc__Lease"] = "00:00:03",
            ["CredentialBroker__Revoker__WorkPollInterval"] = "00:00:00.200",
        };
        foreach (var (name, value) in more ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }

        var connection = await ConnectionMultiplexer.ConnectAsync(redis);
        var replicas = new Replicas(urls, environment, connection, options, trust);
        try
        {
            for (var i = 0; i < count; i++)
            {
                await replicas.AddAsync();
            }

            return replicas;
        }
        catch
        {
            await replicas.DisposeAsync();
            throw;
        }
    }

    /// <summary>A task for <see cref="Agent"/> in workflow <paramref name="workflow"/>, granted read on <see cref="Resource"/>.</summary>
    public static string TaskBody(string workflow, int ttlSeconds) => $$"""
        {"agent": "{{Agent}}", "workflow": {"id": "{{workflow}}", "designer": "team-payments", "version": "1"},
         "authorization": [{"tool": "sql.query", "destination": "{{Resource}}", "actions": ["read"], "dataClass": "confidential"}],
         "ttlSeconds": {{ttlSeconds}}}
        """;

    /// <summary>Starts the next replica (up to three), reaching Redis at <paramref name="redis"/> (by default as the others do), and waits until it is ready.</summary>
    public async Task AddAsync(string? redis = null)
    {
        var index = _brokers.Count;
        var settings = redis is null ? _settings : new Dictionary<string, string>(_settings) { ["ConnectionStrings__Redis"] = redis };
        _brokers.Add(await BrokerProcess.StartListeningAsync(settings, "--urls", _urls[index]));
        await Poll.UntilAsync(async () => (await As(index, "/soc").GetAsync("/readyz")).IsSuccessStatusCode, Bound, $"replica {index} is ready");
    }

    /// <summary>Who holds the lease <paramref name="name"/> (a replica's random owner id), or <see langword="null"/>.</summary>
    public async Task<string?> LeaseHolderAsync(string name) => await _connection.GetDatabase().StringGetAsync($"{_options.KeyPrefix}:{{soc}}:lease:{name}");

    /// <summary>A client of replica <paramref name="index"/> authenticated as <paramref name="path"/> (with an SVID for the common issuer).</summary>
    public HttpClient As(int index, string path) => _clients.GetOrAdd((index, path), key =>
    {
        var client = new HttpClient { BaseAddress = new Uri(_urls[key.Item1]) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _trust.Svid(key.Item2, _urls[0], TimeProvider.System.GetUtcNow()));
        return client;
    });

    /// <summary>The progress of bulk revocation <paramref name="id"/> as replica <paramref name="index"/> reports it.</summary>
    public async Task<JsonObject> ProgressAsync(int index, string id)
    {
        using var response = await As(index, "/soc").GetAsync($"/v1/revocations/{id}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>The names of the keys under this key prefix that end with <paramref name="suffix"/> (a glob: <c>}:task:*</c> names every task record, <c>idem:*</c> every claimed Idempotency-Key), on every primary.</summary>
    public async Task<IReadOnlyList<string>> KeysAsync(string suffix)
    {
        var keys = new List<string>();
        foreach (var server in _connection.GetServers().Where(s => !s.IsReplica))
        {
            await foreach (var key in server.KeysAsync(pattern: $"{_options.KeyPrefix}:*{suffix}"))
            {
                keys.Add(key!);
            }
        }

        return keys;
    }

    /// <summary>The string value of <paramref name="key"/> (a full key name, as <see cref="KeysAsync"/> gives it), or <see langword="null"/>.</summary>
    public async Task<string?> StringAsync(string key) => await _connection.GetDatabase().StringGetAsync(key);

    /// <summary>SIGKILL: the replica dies with whatever it had taken, acknowledging nothing.</summary>
    public void Kill(int index) => Signals.Kill(_brokers[index].ProcessId);

    public async Task WriteTasksAsync(int count, Func<int, string> taskId, DateTimeOffset expiresAt, string workflow)
    {
        var now = TimeProvider.System.GetUtcNowSeconds();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
        {
            var id = taskId(i);
            var task = new TaskRecord(id, Agent, new WorkflowRef(workflow, "team-payments", "1"), [new AuthorizationGrant("sql.query", Resource, ["read"], "confidential")],
                null, null, 0, [], _trust.Id("/orchestrator"), now, expiresAt, TaskState.Created, now, null);
            var credential = new CredentialRecord("jti_" + id, id, CredentialKind.Task, null, Agent, now, expiresAt);
            await _store.CreateTaskAsync(task, credential, AuditEvents.Create(AuditEventTypes.TaskCreated, now, task.CreatedBy, task, AuditEvents.Credential(credential)), ct);
        });
    }

    /// <summary>The task credentials of the tasks written by <see cref="WriteTasksAsync"/>, as the store holds them now.</summary>
    public async Task<IReadOnlyList<CredentialRecord>> ReadAsync(int count, Func<int, string> taskId)
    {
        var records = new CredentialRecord[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
        {
            var id = taskId(i);
            records[i] = (await _store.GetCredentialAsync(id, "jti_" + id, ct))?.Credential ?? throw new InvalidOperationException($"task {id} was lost");
        });
        return records;
    }

    public async Task<int> CountAsync(int count, Func<int, string> taskId, Func<CredentialRecord, bool> predicate) =>
        (await ReadAsync(count, taskId)).Count(predicate);

    /// <summary>How many credentials the expiry index still holds (not yet claimed by a sweep).</summary>
    public async Task<long> LiveAsync()
    {
        var counts = await Task.WhenAll(Enumerable.Range(0, _options.ExpiryIndexShards)
            .Select(shard => _connection.GetDatabase().SortedSetLengthAsync($"{_options.KeyPrefix}:{{exp:{shard.ToString(CultureInfo.InvariantCulture)}}}:due")));
        return counts.Sum();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        foreach (var broker in _brokers)
        {
            await broker.DisposeAsync();
        }

        await _connection.DisposeAsync();
    }
}
