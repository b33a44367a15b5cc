using System.Collections;
using System.Diagnostics;

namespace CredentialBroker.Server.Tests.Telemetry;

/// <summary>
/// Where OpenTelemetry's in-memory exporter puts ended spans: thread-safe (the revoker ends spans on its own threads), and
/// awaitable, so a test waits for the span it expects instead of sleeping.
/// </summary>
internal sealed class SpanCollection : ICollection<Activity>
{
    private readonly Lock _gate = new();
    private readonly List<Activity> _spans = [];
    private readonly List<(Func<Activity, bool> Match, TaskCompletionSource<Activity> Found)> _waiters = [];

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _spans.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    /// <summary>The spans ended so far.</summary>
    public IReadOnlyList<Activity> Snapshot()
    {
        lock (_gate)
        {
            return [.. _spans];
        }
    }

    /// <summary>The first span that matches <paramref name="match"/>, once it has ended (or a timeout after <paramref name="patience"/>).</summary>
    public Task<Activity> WaitForAsync(Func<Activity, bool> match, TimeSpan patience, string what)
    {
        var found = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_spans.FirstOrDefault(match) is { } ended)
            {
                return Task.FromResult(ended);
            }

            _waiters.Add((match, found));
        }

        return found.Task.WaitAsync(patience).ContinueWith(
            t => t.IsCompletedSuccessfully ? t.Result : throw new TimeoutException($"No span within {patience.TotalSeconds} s: {what}."),
            TaskScheduler.Default);
    }

    public void Add(Activity item)
    {
        lock (_gate)
        {
            _spans.Add(item);
            foreach (var waiter in _waiters.Where(w => w.Match(item)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Found.TrySetResult(item);
            }
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _spans.Clear();
        }
    }

    public bool Contains(Activity item)
    {
        lock (_gate)
        {
            return _spans.Contains(item);
        }
    }

    public void CopyTo(Activity[] array, int arrayIndex)
    {
        lock (_gate)
        {
            _spans.CopyTo(array, arrayIndex);
        }
    }

    public bool Remove(Activity item)
    {
        lock (_gate)
        {
            return _spans.Remove(item);
        }
    }

    public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
