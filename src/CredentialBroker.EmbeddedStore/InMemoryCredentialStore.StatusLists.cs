using System.Globalization;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;

namespace CredentialBroker.EmbeddedStore;

/// <summary>
/// The embedded store's Token Status Lists: one shard (<c>0</c>), generations of <see cref="StatusLists.Size"/> entries, and
/// a 128 KiB bitmap per generation once one of its tokens is revoked, kept for the life of the process.
/// </summary>
public sealed partial class InMemoryCredentialStore : IStatusListStore
{
    private readonly Lock _statusLock = new();
    private readonly Dictionary<int, byte[]> _statusBits = [];
    private long _statusAllocated;

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>> GetListsAsync(CancellationToken cancellationToken)
    {
        lock (_statusLock)
        {
            return ValueTask.FromResult<IReadOnlyList<string>>([.. Enumerable.Range(0, Generations()).Select(g => ListId(g))]);
        }
    }

    /// <inheritdoc />
    public ValueTask<byte[]?> GetListAsync(string list, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(list);
        lock (_statusLock)
        {
            for (var generation = 0; generation < Generations(); generation++)
            {
                if (ListId(generation) == list)
                {
                    return ValueTask.FromResult<byte[]?>(_statusBits.TryGetValue(generation, out var bits) ? [.. bits] : new byte[StatusLists.Size / 8]);
                }
            }

            return ValueTask.FromResult<byte[]?>(null);
        }
    }

    // Called with the task's lock held, like the Redis scripts that allocate in the step that records the token.
    private StatusListEntry AllocateStatus()
    {
        lock (_statusLock)
        {
            var n = _statusAllocated++;
            return new StatusListEntry(ListId((int)(n / StatusLists.Size)), (int)(n % StatusLists.Size));
        }
    }

    private void MarkRevoked(StatusListEntry? entry)
    {
        if (entry is null)
        {
            return;
        }

        lock (_statusLock)
        {
            var generation = int.Parse(entry.List.AsSpan(2), CultureInfo.InvariantCulture);
            if (!_statusBits.TryGetValue(generation, out var bits))
            {
                _statusBits[generation] = bits = new byte[StatusLists.Size / 8];
            }

            StatusLists.SetInvalid(bits, entry.Index);
        }
    }

    private int Generations() => (int)((_statusAllocated + StatusLists.Size - 1) / StatusLists.Size);

    private static string ListId(int generation) => "0-" + generation.ToString(CultureInfo.InvariantCulture);
}
