using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core.Tokens;

namespace CredentialBroker.Fuzz;

/// <summary>
/// What the fuzzer drives: each target takes one input and must return — any exception or hang is a bug. The test suite
/// replays the corpus through the same calls (<c>FuzzCorpusTests</c>).
/// </summary>
public static class FuzzTargets
{
    /// <summary>The targets by name: <c>jwt</c> (the structural checks every token passes first) and <c>spiffe</c>.</summary>
    public static IReadOnlyDictionary<string, Action<string>> All { get; } = new Dictionary<string, Action<string>>(StringComparer.Ordinal)
    {
        ["jwt"] = input => _ = JwtShape.Check(input, 8192),
        ["spiffe"] = input => _ = SpiffeId.TryParse(input, out _, out _),
    };
}
