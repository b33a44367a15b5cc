using System.Diagnostics;

namespace CredentialBroker.Server.Tests.Hosting;

/// <summary>The samples run against the real broker, so they never rot.</summary>
public sealed class SampleTests
{
    [Test]
    public async Task The_orchestrator_sample_sees_its_token_die_on_completion()
    {
        var credentials = Path.Combine(Directory.CreateTempSubdirectory("cb-dev-").FullName, "dev.json");
        var broker = $"http://127.0.0.1:{BrokerProcess.FreePort()}";
        await using var process = await BrokerProcess.StartListeningAsync(
            new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development" }, "--urls", broker, "--dev-credentials-file", credentials);

        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Orchestrator.dll"));
        info.ArgumentList.Add(broker);
        info.ArgumentList.Add(credentials);
        using var sample = Process.Start(info)!;
        var stdout = sample.StandardOutput.ReadToEndAsync();
        var stderr = sample.StandardError.ReadToEndAsync();
        await sample.WaitForExitAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(sample.ExitCode, Is.Zero, await stderr);
            Assert.That(await stdout, Does.Contain("active=True").And.Contain("active=False").And.Contain("1 credential(s) revoked"));
        });
    }
}
