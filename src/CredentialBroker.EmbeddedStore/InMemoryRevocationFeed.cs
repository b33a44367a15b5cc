using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.EmbeddedStore;

/// <summary>
/// The embedded revocation feed for development mode: in process memory, ids counting up from the process's start
/// time in microseconds since the Unix epoch. A restarted broker's ids are therefore above every id the previous
/// process handed out, so a resource server resuming with an old <c>Last-Event-ID</c> receives the new process's
/// revocations instead of skipping them (ids counting from 1 again made a follower silently miss them).
/// </summary>
public sealed class InMemoryRevocationFeed : IRevocationFeed
{
    private readonly List<(long Id, RevocationEvent Event, DateTimeOffset AppendedAt)> _events = [];
    private readonly TimeProvider _time;
    private long _lastId;

    /// <summary>Creates an empty feed.</summary>
    public InMemoryRevocationFeed([FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _lastId = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
    }

    /// <inheritdoc />
    public ValueTask<string> AppendAsync(RevocationEvent revocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revocation);
        lock (_events)
        {
            var id = ++_lastId;
            _events.Add((id, revocation with { Id = Format(id) }, _time.GetUtcNow()));
            return ValueTask.FromResult(Format(id));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RevocationEvent>> ReadAsync(string? afterId, int count, CancellationToken cancellationToken)
    {
        var after = afterId is not null && long.TryParse(afterId, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
        lock (_events)
        {
            return ValueTask.FromResult<IReadOnlyList<RevocationEvent>>([.. _events.Where(e => e.Id > after).Take(count).Select(e => e.Event)]);
        }
    }

    /// <inheritdoc />
    public ValueTask TrimAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        lock (_events)
        {
            _events.RemoveAll(e => e.AppendedAt < before);
        }

        return ValueTask.CompletedTask;
    }

    private static string Format(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
