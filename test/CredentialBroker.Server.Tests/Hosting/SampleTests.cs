using CredentialBroker.Testing;

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

        var sample = await ProcessRunner.RunAsync(ProcessRunner.DotnetHost, [Path.Combine(AppContext.BaseDirectory, "Orchestrator.dll"), broker, credentials]);

        Assert.Multiple(() =>
        {
            Assert.That(sample.ExitCode, Is.Zero, sample.StandardError);
            Assert.That(sample.StandardOutput, Does.Contain("active=True").And.Contain("active=False").And.Contain("1 credential(s) revoked"));
        });
    }
}
