using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Hosting;

/// <summary>How the real binary starts, or refuses to: plain messages, every problem at once, exit code 2.</summary>
public sealed class StartupTests
{
    private static Dictionary<string, string> Environment(string name, params (string Key, string Value)[] settings)
    {
        var environment = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = name };
        foreach (var (key, value) in settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        return environment;
    }

    private static string Urls() => $"http://127.0.0.1:{BrokerProcess.FreePort()}";

    private static string CredentialsFile() => Path.Combine(Scratch.CreateDirectory("cb-dev-").FullName, "dev.json");

    [Test]
    public async Task Dev_mode_is_refused_in_the_production_environment()
    {
        await using var broker = await BrokerProcess.RunToExitAsync(Environment("Production"), "--urls", Urls());

        Assert.Multiple(() =>
        {
            Assert.That(broker.ExitCode, Is.EqualTo(2));
            Assert.That(broker.Output, Does.Contain("refused in the Production environment"));
            Assert.That(broker.Output, Does.Not.Contain("   at "), "no stack trace");
        });
    }

    [Test]
    public async Task Dev_mode_starts_in_production_only_when_explicitly_allowed()
    {
        var file = CredentialsFile();
        await using var broker = await BrokerProcess.StartListeningAsync(
            Environment("Production", ("CredentialBroker:Dev:AllowInProduction", "true")), "--urls", Urls(), "--dev-credentials-file", file);

        Assert.That(File.Exists(file), Is.True);
    }

    [TestCase("world-writable")]
    [TestCase("symbolic link")]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_credentials_directory_others_could_tamper_with_stops_the_start(string flaw)
    {
        var directory = Directory.CreateTempSubdirectory("cb-dev-unsafe-").FullName;
        if (flaw == "world-writable")
        {
            File.SetUnixFileMode(directory, (UnixFileMode)0b111_111_111);
        }
        else
        {
            var real = directory;
            directory = real + "-link";
            Directory.CreateSymbolicLink(directory, real);
        }

        var file = Path.Combine(directory, "dev.json");
        await using var broker = await BrokerProcess.RunToExitAsync(Environment("Development"), "--urls", Urls(), "--dev-credentials-file", file);

        Assert.Multiple(() =>
        {
            Assert.That(broker.ExitCode, Is.EqualTo(2));
            Assert.That(broker.Output, Does.Contain("not safe to write credentials into"));
            Assert.That(broker.Output, Does.Not.Contain("   at "), "no stack trace");
            Assert.That(File.Exists(file), Is.False);
        });
    }

    [Test]
    public async Task Production_mode_lists_every_missing_setting_at_once()
    {
        var settings = Environment("Production", ("ConnectionStrings:Redis", "127.0.0.1:1"), ("CredentialBroker:ClockSkew", "00:02:00"),
            ("CredentialBroker:TrustBundles:corp.example", "/nonexistent/bundle.json"));
        await using var broker = await BrokerProcess.RunToExitAsync(settings, "--urls", Urls());

        Assert.Multiple(() =>
        {
            Assert.That(broker.ExitCode, Is.EqualTo(2));
            Assert.That(broker.Output, Does.Contain("CredentialBroker cannot start"));
            Assert.That(broker.Output, Does.Contain("Issuer is required"));
            Assert.That(broker.Output, Does.Contain("ClockSkew"));
            Assert.That(broker.Output, Does.Contain("SigningKeys needs at least one key"));
            Assert.That(broker.Output, Does.Contain("/nonexistent/bundle.json"));
            Assert.That(broker.Output, Does.Not.Contain("   at "), "no stack trace");
        });
    }

    [Test]
    public async Task A_broken_policy_stops_the_start_with_its_problems_listed()
    {
        var directory = Directory.CreateTempSubdirectory("cb-policy-").FullName;
        File.WriteAllText(Path.Combine(directory, "policy.yaml"), "rules: [{id: a, effect: perhaps, condition: 'reqest.tool == 1'}]");
        await using var broker = await BrokerProcess.RunToExitAsync(
            Environment("Development", ("CredentialBroker:Policy:Path", directory)), "--urls", Urls(), "--dev-credentials-file", CredentialsFile());

        Assert.Multiple(() =>
        {
            Assert.That(broker.ExitCode, Is.EqualTo(2));
            Assert.That(broker.Output, Does.Contain("policy: policy.yaml: rule a: 'effect' must be allow, deny or limit"));
            Assert.That(broker.Output, Does.Contain("policy: policy.yaml: rule a: the condition refers to something that does not exist"));
            Assert.That(broker.Output, Does.Not.Contain("   at "), "no stack trace");
        });
    }

    [Test]
    public async Task Dev_mode_prints_its_how_to_and_the_credentials_path()
    {
        var file = CredentialsFile();
        var urls = Urls();
        await using var broker = await BrokerProcess.StartListeningAsync(Environment("Development"), "--urls", urls, "--dev-credentials-file", file);
        await broker.WaitForOutputAsync("The README walks through the rest");

        Assert.Multiple(() =>
        {
            Assert.That(broker.Output, Does.Contain($"DEVELOPMENT MODE at {urls}"));
            Assert.That(broker.Output, Does.Contain(file));
            Assert.That(File.Exists(file), Is.True);
        });
    }
}
