using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Core.Revocation;
using CredentialBroker.Revoker;

namespace CredentialBroker.Core.Tests;

/// <summary>Counts the revoker being told that work is waiting.</summary>
internal sealed class TestSignal : IRevocationSignal
{
    private int _count;

    public int Count => _count;

    public void WorkAvailable() => Interlocked.Increment(ref _count);
}
