using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Core.Tokens;
using CsCheck;

namespace CredentialBroker.Server.Tests.Fuzzing;

/// <summary>
/// Property-based tests of the parsers every request goes through first (SECURITY-TESTS #39): whatever the input, they
/// answer — a value or a refusal — and never throw; what they accept is what the rules allow.
/// </summary>
public sealed class ParserPropertyTests
{
    private const string Jws = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJzdWIiOiJzcGlmZmU6Ly9hLmV4YW1wbGUveCIsImF1ZCI6Imh0dHBzOi8vYnJva2VyIiwiZXhwIjoyMDAwMDAwMDAwfQ.c2lnbmF0dXJl";

    [Test]
    public void JwtShape_answers_every_input_without_throwing_and_passes_its_valid_twin()
    {
        Assert.That(JwtShape.Check(Jws, 8192), Is.Null, "the valid twin");
        Mutations.Around(Jws).Sample(token => { _ = JwtShape.Check(token, 8192); }, iter: 20_000);
    }

    [Test]
    public void JwtShape_refuses_anything_over_the_cap_whatever_it_holds()
    {
        Gen.String[Gen.Char["a."], 600, 2000].Sample(token => JwtShape.Check(token, 512) is not null, iter: 500);
    }

    [Test]
    public void SpiffeId_parsing_answers_every_input_and_what_it_accepts_is_a_valid_workload_id()
    {
        Assert.That(SpiffeId.TryParse("spiffe://corp.example/agents/bot-1", out _, out _), Is.True, "the valid twin");
        Mutations.Around("spiffe://corp.example/agents/bot-1").Sample(text =>
        {
            if (!SpiffeId.TryParse(text, out var id, out var error))
            {
                return !string.IsNullOrEmpty(error);
            }

            return id.Value == text
                && text.StartsWith("spiffe://", StringComparison.Ordinal)
                && System.Text.Encoding.UTF8.GetByteCount(text) <= 2048
                && !id.TrustDomain.Any(char.IsUpper)
                && id.Path.Length > 1 && !id.Path.EndsWith('/')
                && id.Path.Split('/').Skip(1).All(segment => segment is not ("" or "." or ".."))
                && !text.Contains('%') && !text.Contains('?') && !text.Contains('#') && !text.Contains('@');
        }, iter: 20_000);
    }
}
