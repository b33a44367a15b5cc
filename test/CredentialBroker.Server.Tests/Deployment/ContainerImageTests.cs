using System.Text.Json.Nodes;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Deployment;

/// <summary>
/// The container image the SDK builds (<c>dotnet publish -t:PublishContainer</c>), as far as it can be checked without a
/// registry: the project's container settings, evaluated by MSBuild through the SDK's own ComputeContainerConfig target,
/// and their agreement with the Helm chart.
/// </summary>
public sealed class ContainerImageTests
{
    private static readonly string Project = Repository.Path("src", "CredentialBroker.Server", "CredentialBroker.Server.csproj");

    [Test]
    public async Task The_image_is_a_chiseled_non_root_aspnet_image_that_runs_the_broker()
    {
        var evaluated = await ComputeContainerConfigAsync();
        var properties = evaluated["Properties"]!;
        var items = evaluated["Items"]!;

        Assert.Multiple(() =>
        {
            Assert.That((string?)properties["ContainerBaseImage"], Does.StartWith("mcr.microsoft.com/dotnet/aspnet:10.0").And.EndWith("-chiseled"));
            Assert.That((string?)properties["ContainerUser"], Is.EqualTo("1654"), "the chiseled images' non-root app user");
            Assert.That((string?)properties["ContainerRepository"], Is.EqualTo("credentialbroker/credentialbroker"));
            Assert.That((string?)properties["ContainerWorkingDirectory"], Is.EqualTo("/app/"));
            Assert.That(items["ContainerAppCommand"]!.AsArray().Select(c => (string?)c!["Identity"]).Last(), Is.EqualTo("/app/CredentialBroker.Server.dll"));
            Assert.That(items["ContainerPort"]!.AsArray().Select(p => (string?)p!["Identity"]), Is.EqualTo(new[] { "8080" }));
            Assert.That(items["ContainerLabel"]!.AsArray().Select(l => (string?)l!["Identity"]), Does.Contain("org.opencontainers.image.source"));
        });
    }

    [Test]
    public async Task The_chart_runs_the_image_as_its_user_on_its_port()
    {
        var evaluated = await ComputeContainerConfigAsync();
        var chart = await Helm.TemplateAsync(Helm.RequiredValues);

        Assert.Multiple(() =>
        {
            Assert.That(chart.PodSpec["securityContext"]!["runAsUser"]!.ToString(), Is.EqualTo((string?)evaluated["Properties"]!["ContainerUser"]));
            Assert.That(chart.Broker["ports"]![0]!["containerPort"]!.ToString(), Is.EqualTo((string?)evaluated["Items"]!["ContainerPort"]![0]!["Identity"]));
        });
    }

    private static async Task<JsonNode> ComputeContainerConfigAsync()
    {
        var result = await ProcessRunner.RunAsync(ProcessRunner.DotnetHost,
        [
            "msbuild", Project, "-nologo", "-p:Configuration=Release", "-t:ComputeContainerConfig",
            "-getProperty:ContainerBaseImage", "-getProperty:ContainerUser", "-getProperty:ContainerRepository", "-getProperty:ContainerWorkingDirectory",
            "-getItem:ContainerAppCommand", "-getItem:ContainerPort", "-getItem:ContainerLabel",
        ]);
        Assert.That(result.ExitCode, Is.Zero, result.StandardOutput + result.StandardError);
        return JsonNode.Parse(result.StandardOutput)!;
    }
}
