namespace CredentialBroker.Abstractions.Storage;

/// <summary>
/// The Token Status Lists the credential store keeps: one bit per issued token (0 valid, 1 revoked), set by the same atomic
/// step that records the revocation. Lists are grouped by shard; a shard opens its next generation after
/// <see cref="StatusLists.Size"/> allocations, so an index is never given out twice.
/// </summary>
public interface IStatusListStore
{
    /// <summary>The ids of the lists allocated so far, every shard's generations in order.</summary>
    ValueTask<IReadOnlyList<string>> GetListsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The bits of one list, <see cref="StatusLists.Size"/> / 8 bytes laid out as the draft's byte array (index <c>i</c> is bit
    /// <c>i % 8</c>, counted from the least significant, of byte <c>i / 8</c>); <see langword="null"/> when no such list was allocated.
    /// </summary>
    ValueTask<byte[]?> GetListAsync(string list, CancellationToken cancellationToken);
}
