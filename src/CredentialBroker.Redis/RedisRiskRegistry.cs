using System.Text.Json;
using CredentialBroker.Abstractions.Policy;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CredentialBroker.Redis;

/// <summary>
/// Risk levels in one Redis hash (<c>cb:{risk}:levels</c>, field <c>workload:&lt;id&gt;</c> or
/// <c>workflow:&lt;id&gt;</c>). A decision reads every level it needs with one HMGET.
/// </summary>
public sealed class RedisRiskRegistry : IRiskRegistry
{
    private readonly RedisContext _redis;
    private readonly RedisKey _key;

    /// <summary>Creates the registry over the broker's Redis context.</summary>
    public RedisRiskRegistry(RedisContext redis)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _redis = redis;
        _key = redis.Keys.Risk;
    }

    /// <inheritdoc />
    public ValueTask<RiskFacts> GetAsync(IReadOnlyList<string> workloads, string workflow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workloads);
        RedisValue[] fields = [.. workloads.Select(w => (RedisValue)Field(RiskSubjectKind.Workload, w)), Field(RiskSubjectKind.Workflow, workflow)];
        return _redis.ExecuteAsync(async ct =>
        {
            var values = await _redis.Db.HashGetAsync(_key, fields);
            var levels = new Dictionary<string, RiskLevel>(StringComparer.Ordinal);
            for (var i = 0; i < workloads.Count; i++)
            {
                levels[workloads[i]] = LevelOf(values[i]);
            }

            return new RiskFacts(levels, LevelOf(values[^1]));
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask SetAsync(RiskEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var field = Field(entry.Kind, entry.Id);
        await _redis.ExecuteDurableAsync(async (touched, ct) =>
        {
            var db = _redis.Db;
            touched.Add(_key);
            return entry.Level == RiskLevel.None
                ? await db.HashDeleteAsync(_key, field)
                : await db.HashSetAsync(_key, field, JsonSerializer.Serialize(ToStored(entry), StoreJsonContext.Default.StoredRisk));
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RiskEntry>> ListAsync(CancellationToken cancellationToken) =>
        _redis.ExecuteAsync<IReadOnlyList<RiskEntry>>(async ct =>
        {
            var entries = await _redis.Db.HashGetAllAsync(_key);
            return [.. entries
                .Select(e => FromStored(e.Name.ToString(), JsonSerializer.Deserialize((string)e.Value!, StoreJsonContext.Default.StoredRisk)!))
                .OrderBy(e => e.Kind)
                .ThenBy(e => e.Id, StringComparer.Ordinal)];
        }, cancellationToken);

    private static string Field(RiskSubjectKind kind, string id) => (kind == RiskSubjectKind.Workload ? "workload:" : "workflow:") + id;

    private static RiskLevel LevelOf(RedisValue value) =>
        value.IsNull ? RiskLevel.None : ParseLevel(JsonSerializer.Deserialize((string)value!, StoreJsonContext.Default.StoredRisk)!.Level);

    private static RiskLevel ParseLevel(string level) =>
        RiskLevels.TryParseWireName(level, out var parsed) ? parsed : throw new InvalidDataException($"The store holds the unknown risk level '{level}'.");

    private static StoredRisk ToStored(RiskEntry entry) => new(RiskLevels.ToWireName(entry.Level), entry.Reason, entry.SetBy, entry.SetAt);

    private static RiskEntry FromStored(string field, StoredRisk stored)
    {
        var colon = field.IndexOf(':', StringComparison.Ordinal);
        var kind = field[..colon] == "workload" ? RiskSubjectKind.Workload : RiskSubjectKind.Workflow;
        return new RiskEntry(kind, field[(colon + 1)..], ParseLevel(stored.Level), stored.Reason, stored.SetBy, stored.SetAt);
    }
}
