using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core.Tokens;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Fuzzing;

/// <summary>
/// Replays the coverage-guided fuzzer's corpus (<c>test/CredentialBroker.Fuzz/corpus</c>, seeds and every input a run of
/// <c>run-afl.sh</c> found worth keeping or that once failed) through the parsers it fuzzes: each must answer, never throw.
/// </summary>
public sealed class FuzzCorpusTests
{
    private static IEnumerable<TestCaseData> Inputs(string target) =>
        Directory.EnumerateFiles(Repository.Path("test", "CredentialBroker.Fuzz", "corpus", target))
            .Order(StringComparer.Ordinal)
            .Select(file => new TestCaseData(File.ReadAllText(file)).SetArgDisplayNames(System.IO.Path.GetFileName(file)));

    private static IEnumerable<TestCaseData> Tokens() => Inputs("jwt");

    private static IEnumerable<TestCaseData> Ids() => Inputs("spiffe");

    [Test]
    public void The_corpus_holds_inputs_for_every_target()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Tokens(), Is.Not.Empty);
            Assert.That(Ids(), Is.Not.Empty);
        });
    }

    [TestCaseSource(nameof(Tokens))]
    public void Every_token_in_the_corpus_gets_an_answer(string input) => Assert.DoesNotThrow(() => JwtShape.Check(input, 8192));

    [TestCaseSource(nameof(Ids))]
    public void Every_spiffe_id_in_the_corpus_gets_an_answer(string input) => Assert.DoesNotThrow(() => SpiffeId.TryParse(input, out _, out _));
}
