using System.Diagnostics;

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

        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-euo");
        info.ArgumentList.Add("pipefail");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Walkthrough());
        info.Environment["BROKER"] = broker;
        info.Environment["CREDS"] = credentials;
        using var bash = Process.Start(info)!;
        var stdout = bash.StandardOutput.ReadToEndAsync();
        var stderr = bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync();
        var output = await stdout;

        Assert.Multiple(async () =>
        {
            Assert.That(bash.ExitCode, Is.Zero, await stderr);
            Assert.That(output, Does.Contain("\"state\": \"created\""));
            Assert.That(output, Does.Contain("\"active\": true"));
            Assert.That(output, Does.Contain("\"sub\": \"spiffe://dev.local/agent\""));
            Assert.That(output, Does.Contain("\"state\": \"completed\""));
            Assert.That(output, Does.Contain("\"revoked\": 1"));
            Assert.That(output.TrimEnd().Split('\n')[^1], Is.EqualTo("{\"active\":false}"));
        });
    }
}
