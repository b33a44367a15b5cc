using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;
using CredentialBroker.Testing;

namespace CredentialBroker.Client.Tests;

/// <summary>The client as users get it: a NuGet package with its README, its XML docs and its dependencies.</summary>
public sealed class PackagingTests : IDisposable
{
    private static readonly string Configuration = typeof(PackagingTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
    private readonly string _directory = Directory.CreateTempSubdirectory("cb-client-pack-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Test]
    public async Task Dotnet_pack_makes_a_package_with_the_readme_the_xml_docs_and_the_resilience_dependency()
    {
        var version = $"0.0.0-test.{Guid.NewGuid():N}";

        // The tests' build built the client already; pack what it built.
        var pack = await ProcessRunner.RunAsync(ProcessRunner.DotnetHost,
            ["pack", Repository.Path("src", "CredentialBroker.Client"), "-c", Configuration, "--no-build", "-p:PackageVersion=" + version, "-o", _directory],
            new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" });
        Assert.That(pack.ExitCode, Is.Zero, pack.StandardOutput + pack.StandardError);
        using var package = ZipFile.OpenRead(Path.Combine(_directory, $"CredentialBroker.Client.{version}.nupkg"));
        var entries = package.Entries.Select(e => e.FullName).ToList();
        XNamespace ns = XDocument.Load(package.GetEntry("CredentialBroker.Client.nuspec")!.Open()).Root!.Name.Namespace;
        var nuspec = XDocument.Load(package.GetEntry("CredentialBroker.Client.nuspec")!.Open());
        using var readme = new StreamReader(package.GetEntry("README.md")!.Open());

        Assert.Multiple(async () =>
        {
            Assert.That(entries, Does.Contain("lib/net10.0/CredentialBroker.Client.dll").And.Contain("lib/net10.0/CredentialBroker.Client.xml"));
            Assert.That(nuspec.Descendants(ns + "readme").Single().Value, Is.EqualTo("README.md"));
            Assert.That(nuspec.Descendants(ns + "dependency").Select(d => (string?)d.Attribute("id")),
                Does.Contain("Microsoft.Extensions.Http.Resilience").And.Contain("Grpc.Net.Client").And.Not.Contain("Grpc.Tools"));
            Assert.That(await readme.ReadToEndAsync(), Does.Contain("AddCredentialBrokerClient"));
        });
    }
}
