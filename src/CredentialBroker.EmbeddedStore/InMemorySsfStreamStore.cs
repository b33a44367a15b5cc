using System.Collections.Concurrent;
using CredentialBroker.Abstractions.Soc;

namespace CredentialBroker.EmbeddedStore;

/// <summary>The Shared Signals transmitter's side of the embedded store (development mode: nothing survives a restart).</summary>
internal sealed class InMemorySsfStreamStore : ISsfStreamStore
{
    private readonly ConcurrentDictionary<string, string> _streams = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, List<SsfPendingEvent>> _pending = new(StringComparer.Ordinal);
    private string? _cursor;

    public ValueTask SaveStreamAsync(string streamId, string configuration, CancellationToken cancellationToken)
    {
        _streams[streamId] = configuration;
        return ValueTask.CompletedTask;
    }

    public ValueTask<string?> GetStreamAsync(string streamId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_streams.TryGetValue(streamId, out var stream) ? stream : null);

    public ValueTask<IReadOnlyList<string>> ListStreamsAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<string>>([.. _streams.Values]);

    public ValueTask<bool> DeleteStreamAsync(string streamId, CancellationToken cancellationToken)
    {
        _pending.TryRemove(streamId, out _);
        return ValueTask.FromResult(_streams.TryRemove(streamId, out _));
    }

    public ValueTask EnqueueAsync(string streamId, IReadOnlyList<SsfPendingEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        var pending = _pending.GetOrAdd(streamId, _ => []);
        lock (pending)
        {
            foreach (var added in events)
            {
                var at = pending.FindIndex(e => e.Jti == added.Jti);
                if (at >= 0)
                {
                    pending[at] = added;
                }
                else
                {
                    pending.Add(added);
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<long> CountPendingAsync(string streamId, CancellationToken cancellationToken)
    {
        if (!_pending.TryGetValue(streamId, out var pending))
        {
            return ValueTask.FromResult(0L);
        }

        lock (pending)
        {
            return ValueTask.FromResult((long)pending.Count);
        }
    }

    public ValueTask<IReadOnlyList<SsfPendingEvent>> ReadPendingAsync(string streamId, int count, CancellationToken cancellationToken)
    {
        if (count <= 0 || !_pending.TryGetValue(streamId, out var pending))
        {
            return ValueTask.FromResult<IReadOnlyList<SsfPendingEvent>>([]);
        }

        lock (pending)
        {
            return ValueTask.FromResult<IReadOnlyList<SsfPendingEvent>>([.. pending.Take(count)]);
        }
    }

    public ValueTask<int> AcknowledgeAsync(string streamId, IReadOnlyCollection<string> jtis, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jtis);
        if (!_pending.TryGetValue(streamId, out var pending))
        {
            return ValueTask.FromResult(0);
        }

        var acknowledged = jtis.ToHashSet(StringComparer.Ordinal);
        lock (pending)
        {
            return ValueTask.FromResult(pending.RemoveAll(e => acknowledged.Contains(e.Jti)));
        }
    }

    public ValueTask<string?> GetFeedCursorAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Volatile.Read(ref _cursor));

    public ValueTask SaveFeedCursorAsync(string feedId, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _cursor, feedId);
        return ValueTask.CompletedTask;
    }
}
