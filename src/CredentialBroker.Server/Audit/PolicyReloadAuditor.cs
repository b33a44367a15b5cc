using System.Text.Json.Nodes;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Policy;

namespace CredentialBroker.Server.Audit;

/// <summary>
/// Appends <c>policy.reloaded</c> to the boundary log whenever this replica puts a policy version in force: the one it
/// starts with, and each accepted reload (a rejected change keeps the old version and is logged, not recorded). Every
/// decision event names the version it was made under; this says when each version came into force, and where.
/// </summary>
internal sealed partial class PolicyReloadAuditor(
    ReloadingPolicySource policy,
    IAuditLog log,
    [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time,
    ILogger<PolicyReloadAuditor> logger) : IHostedService
{
    private readonly string _replica = Environment.MachineName;
    private string? _recorded;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        policy.Reloaded += OnReloaded;
        await RecordAsync(policy.Current.Version, "start", cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        policy.Reloaded -= OnReloaded;
        return Task.CompletedTask;
    }

    private void OnReloaded(object? sender, PolicyReloadedEventArgs e)
    {
        if (e.Errors.Count == 0)
        {
            _ = RecordAsync(e.Version, "reload", CancellationToken.None);
        }
    }

    private async Task RecordAsync(string version, string cause, CancellationToken cancellationToken)
    {
        if (string.Equals(Interlocked.Exchange(ref _recorded, version), version, StringComparison.Ordinal))
        {
            return;
        }

        try
        {
            await log.AppendAsync(AuditEvents.Create(AuditEventTypes.PolicyReloaded, time.GetUtcNow(), AuditEvents.BrokerActor, null,
                new JsonObject { ["policyVersion"] = version, ["cause"] = cause, ["replica"] = _replica }), cancellationToken);
        }
        catch (StoreUnavailableException ex)
        {
            // The version is in force either way (every decision event names it); the gap is visible in the log.
            Interlocked.CompareExchange(ref _recorded, null, version);
            LogUnrecorded(logger, version, ex.Message);
        }
    }

    [LoggerMessage(EventId = 2603, EventName = "PolicyVersionUnrecorded", Level = LogLevel.Warning,
        Message = "Policy version {Version} is in force but could not be recorded in the audit log: {Reason}")]
    private static partial void LogUnrecorded(ILogger logger, string version, string reason);
}
