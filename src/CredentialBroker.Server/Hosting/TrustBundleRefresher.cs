using CredentialBroker.Abstractions;
using CredentialBroker.Core;
using CredentialBroker.Core.Identity;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Hosting;

/// <summary>
/// Reads the configured trust bundle files again every <see cref="CredentialBrokerOptions.TrustBundleRefreshInterval"/>
/// and puts a changed one in force, so a key removed from a bundle (a compromised signer, say) stops authenticating
/// callers without a restart, and a key added (a rotation) starts. A file that cannot be read or is not a usable bundle
/// leaves the last good bundle in force and is logged (1611): an operator's typo does not lock every workload of a
/// trust domain out. Timed on the broker's clock.
/// </summary>
internal sealed partial class TrustBundleRefresher(
    TrustBundleSet bundles,
    IOptions<CredentialBrokerOptions> options,
    [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time,
    ILogger<TrustBundleRefresher> logger) : BackgroundService
{
    private readonly Dictionary<string, string> _inForce = new(StringComparer.Ordinal);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // What the broker loaded at start (a file that changed in between is put in force at the first refresh).
        foreach (var (trustDomain, path) in options.Value.TrustBundles)
        {
            if (TryRead(path, out var text))
            {
                _inForce[trustDomain] = text;
            }
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.TrustBundleRefreshInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Refresh();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Reads every bundle file once and puts each changed, usable one in force.</summary>
    internal void Refresh()
    {
        foreach (var (trustDomain, path) in options.Value.TrustBundles)
        {
            if (!TryRead(path, out var text, out var unreadable))
            {
                LogRefused(logger, trustDomain, path, unreadable);
                continue;
            }

            if (_inForce.TryGetValue(trustDomain, out var current) && current == text)
            {
                continue;
            }

            TrustBundle bundle;
            try
            {
                bundle = TrustBundle.FromJwks(trustDomain, text);
            }
            catch (ArgumentException ex)
            {
                LogRefused(logger, trustDomain, path, ex.Message);
                continue;
            }

            bundles.Update(bundle);
            _inForce[trustDomain] = text;
            LogReloaded(logger, trustDomain, path, bundle.Count);
        }
    }

    private static bool TryRead(string path, out string text) => TryRead(path, out text, out _);

    private static bool TryRead(string path, out string text, out string error)
    {
        try
        {
            text = File.ReadAllText(path);
            error = string.Empty;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            text = string.Empty;
            error = ex.Message;
            return false;
        }
    }

    [LoggerMessage(EventId = 1610, EventName = "TrustBundleReloaded", Level = LogLevel.Information,
        Message = "The trust bundle of {TrustDomain} changed in {Path}: {Keys} keys in force from now on")]
    private static partial void LogReloaded(ILogger logger, string trustDomain, string path, int keys);

    [LoggerMessage(EventId = 1611, EventName = "TrustBundleRefused", Level = LogLevel.Warning,
        Message = "The trust bundle of {TrustDomain} in {Path} cannot be used ({Reason}); the last good one stays in force")]
    private static partial void LogRefused(ILogger logger, string trustDomain, string path, string reason);
}
