using System.Diagnostics.Metrics;
using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Core.Revocation;
using CredentialBroker.Revoker;
using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.Server.Tests.Revocation;

/// <summary>
/// Signals when the revokers of the given hosts have finished a number of invalidations: it listens to their
/// <c>credentialbroker.revocation.processed</c> counter, which counts a credential once its outcome is recorded.
/// Create it before the work starts.
/// </summary>
internal sealed class ProcessedSignal : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly HashSet<object> _scopes;
    private readonly Lock _gate = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _waiters = [];
    private long _processed;

    public ProcessedSignal(params BrokerApp[] hosts)
    {
        _scopes = [.. hosts.Select(h => (object)h.Services.GetRequiredService<IMeterFactory>())];
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == "credentialbroker.revocation.processed" && instrument.Meter.Name == RevokerMetrics.MeterName
                && instrument.Meter.Scope is { } scope && _scopes.Contains(scope))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            lock (_gate)
            {
                _processed += value;
                foreach (var waiter in _waiters.Where(w => _processed >= w.Target))
                {
                    waiter.Done.TrySetResult();
                }
            }
        });
        _listener.Start();
    }

    /// <summary>Completes once <paramref name="count"/> invalidations are recorded (or throws after <paramref name="patience"/>).</summary>
    public Task WaitForAsync(long count, TimeSpan patience)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_processed >= count)
            {
                return Task.CompletedTask;
            }

            _waiters.Add((count, done));
        }

        return done.Task.WaitAsync(patience);
    }

    public void Dispose() => _listener.Dispose();
}
