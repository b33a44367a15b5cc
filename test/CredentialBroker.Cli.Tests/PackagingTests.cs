using System.Reflection;
using CredentialBroker.Testing;

namespace CredentialBroker.Cli.Tests;

/// <summary>brokerctl as users get it: a .NET tool package, and a self-contained single-file binary.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PackagingTests : IDisposable
{
    private static readonly string Project = Repository.Path("src", "CredentialBroker.Cli");
    private static readonly string Configuration = typeof(PackagingTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
    private readonly string _directory = Directory.CreateTempSubdirectory("cb-packaging-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string In(params string[] parts) => Path.Combine([_directory, .. parts]);

    private static async Task<ProcessRunner.Result> DotnetAsync(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync(ProcessRunner.DotnetHost, arguments, environment);
        Assert.That(result.ExitCode, Is.Zero, $"dotnet {string.Join(' ', arguments)}:{Environment.NewLine}{result.StandardOutput}{result.StandardError}");
        return result;
    }

    [Test]
    public async Task Dotnet_pack_makes_a_tool_package_that_dotnet_tool_install_puts_on_the_path_as_brokerctl()
    {
        // A version of its own, and a package cache of its own, so the install can only take the package just made.
        var version = $"0.0.0-test.{Guid.NewGuid():N}";
        var isolated = new Dictionary<string, string> { ["NUGET_PACKAGES"] = In("nuget"), ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" };

        // The tests' build built brokerctl already; pack what it built.
        await DotnetAsync(isolated, "pack", Project, "-c", Configuration, "--no-build", "-p:PackageVersion=" + version, "-o", In("packages"));
        await DotnetAsync(isolated, "tool", "install", "--tool-path", In("tools"), "--add-source", In("packages"), "--version", version, "CredentialBroker.Cli");
        var help = await ProcessRunner.RunAsync(In("tools", "brokerctl"), ["--help"]);

        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(In("packages", $"CredentialBroker.Cli.{version}.nupkg")), Is.True);
            Assert.That(help.ExitCode, Is.Zero, help.StandardError);
            Assert.That(help.StandardOutput, Does.Contain("brokerctl").And.Contain("trust").And.Contain("completion").And.Contain("revoke"));
        });
    }

    // 30 s alone, over 90 s beside the rest of this assembly on two cores: run on purpose, e.g. before a release, with
    // dotnet test test/CredentialBroker.Cli.Tests --filter Name~Dotnet_publish_for_a_runtime (it must be the only test the filter
    // selects; ./build.sh brokerctl publishes the same way).
    [Test]
    [Explicit("A full self-contained publish: 30-90 s, longer than the rest of this assembly together.")]
    public async Task Dotnet_publish_for_a_runtime_makes_one_self_contained_brokerctl_that_runs_without_dotnet()
    {
        // Its own artifacts path: this publish shares no bin or obj folder with the build that runs the tests.
        await DotnetAsync(null, "publish", Project, "-c", "Release", "-r", "linux-x64", "--artifacts-path", In("artifacts"), "-o", In("out"));
        var withoutDotnet = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["DOTNET_ROOT"] = In("no-dotnet-here") };
        var version = await ProcessRunner.RunAsync(In("out", "brokerctl"), ["--version"], withoutDotnet);
        var init = await ProcessRunner.RunAsync(In("out", "brokerctl"), ["trust", "init", In("trial"), "--trust-domain", "trial.example"], withoutDotnet);

        Assert.Multiple(() =>
        {
            Assert.That(Directory.GetFiles(In("out")).Select(Path.GetFileName), Is.EqualTo(new[] { "brokerctl" }), "one file");
            Assert.That(version.ExitCode, Is.Zero, version.StandardError);
            Assert.That(init.ExitCode, Is.Zero, init.StandardError);
            Assert.That(File.Exists(In("trial", "jwt-bundle.json")), Is.True);
        });
    }
}
