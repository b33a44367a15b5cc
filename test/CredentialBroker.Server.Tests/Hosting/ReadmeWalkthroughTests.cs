using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Hosting;

/// <summary>The README's curl walkthrough, run verbatim with bash against the real broker in development mode.</summary>
public sealed class ReadmeWalkthroughTests
{
    private const string Begin = "<!-- walkthrough:begin -->";
    private const string End = "<!-- walkthrough:end -->";

    private static string Walkthrough()
    {
        var readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md"));
        var block = readme[(readme.IndexOf(Begin, StringComparison.Ordinal) + Begin.Length)..readme.IndexOf(End, StringComparison.Ordinal)];
        var lines = block.Trim().Split('\n');
        Assert.That(lines[0].Trim(), Is.EqualTo("```bash"), "the walkthrough is one bash block");
        return string.Join('\n', lines[1..^1]);
    }

    [Test]
    public async Task The_walkthrough_works_verbatim()
    {
        var credentials = Path.Combine(Directory.CreateTempSubdirectory("cb-dev-").FullName, "dev.json");
        var broker = $"http://127.0.0.1:{BrokerProcess.FreePort()}";
        await using var process = await BrokerProcess.StartListeningAsync(
            new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development" }, "--urls", broker, "--dev-credentials-file", credentials);

        var bash = await ProcessRunner.RunAsync("bash", ["-euo", "pipefail", "-c", Walkthrough()],
            new Dictionary<string, string> { ["BROKER"] = broker, ["CREDS"] = credentials });
        var output = bash.StandardOutput;

        Assert.Multiple(() =>
        {
            Assert.That(bash.ExitCode, Is.Zero, bash.StandardError);
            Assert.That(output, Does.Contain("\"state\": \"created\""));
            Assert.That(output, Does.Contain("\"active\": true"));
            Assert.That(output, Does.Contain("\"sub\": \"spiffe://dev.local/agent\""));
            Assert.That(output, Does.Contain("\"state\": \"completed\""));
            Assert.That(output, Does.Contain("\"revoked\": 1"));
            Assert.That(output.TrimEnd().Split('\n')[^1], Is.EqualTo("{\"active\":false}"));
        });
    }
}
