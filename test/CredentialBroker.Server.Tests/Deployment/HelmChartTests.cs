using System.Text;
using CredentialBroker.Abstractions;
using CredentialBroker.Core;
using CredentialBroker.Testing;
using Microsoft.Extensions.Configuration;

namespace CredentialBroker.Server.Tests.Deployment;

/// <summary>The Helm chart, linted and rendered by a real Helm binary; the settings it renders pass the broker's own validation.</summary>
public sealed class HelmChartTests
{
    private static readonly string Chart = Repository.Path("charts", "credentialbroker");
    private static readonly string TestValues = Path.Combine(Chart, "ci", "test-values.yaml");

    [Test]
    public async Task The_chart_lints_clean()
    {
        var (exitCode, output) = await HelmAsync("lint", Chart, "--strict", "-f", TestValues);
        Assert.That(exitCode, Is.Zero, output);
    }

    [Test]
    public async Task The_rendered_deployment_runs_production_mode_with_probes_and_a_locked_down_pod()
    {
        var (exitCode, manifests) = await HelmAsync("template", "cb", Chart, "-f", TestValues);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Zero, manifests);
            Assert.That(manifests, Does.Contain("kind: Deployment").And.Contain("kind: Service").And.Contain("kind: ConfigMap"));
            Assert.That(manifests, Does.Contain("value: Production"));
            Assert.That(manifests, Does.Contain("name: ConnectionStrings__Redis"));
            Assert.That(manifests, Does.Contain("path: /readyz").And.Contain("path: /healthz"));
            Assert.That(manifests, Does.Contain("readOnlyRootFilesystem: true").And.Contain("runAsNonRoot: true"));
            Assert.That(manifests, Does.Contain("secretName: broker-signing-keys"));
        });
    }

    [Test]
    public async Task The_rendered_settings_pass_the_brokers_validation()
    {
        var (_, manifests) = await HelmAsync("template", "cb", Chart, "-f", TestValues, "--show-only", "templates/configmap.yaml");
        var json = string.Join('\n', manifests.Split('\n').SkipWhile(l => !l.Contains("appsettings.Production.json", StringComparison.Ordinal)).Skip(1));
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var options = configuration.GetSection(CredentialBrokerOptions.SectionName).Get<CredentialBrokerOptions>()!;

        var result = new CredentialBrokerOptionsValidator().Validate(null, options);

        Assert.Multiple(() =>
        {
            Assert.That(result.Succeeded, Is.True, string.Join("; ", result.Failures ?? []));
            Assert.That(options.Issuer, Is.EqualTo("https://broker.corp.example"));
            Assert.That(options.SigningKeys.Select(k => k.Path), Is.EqualTo(new[] { "/etc/credentialbroker/keys/signing.pem", "/etc/credentialbroker/keys/previous.pem" }));
            Assert.That(options.TrustBundles["corp.example"], Is.EqualTo("/etc/credentialbroker/bundles/corp.example.jwks.json"));
            Assert.That(options.Roles.Orchestrator, Is.EqualTo(new[] { "spiffe://corp.example/orchestrators/" }));
            Assert.That(options.MaxTaskTtl, Is.EqualTo(TimeSpan.FromMinutes(10)));
        });
    }

    [TestCase("issuer=", "issuer is required")]
    [TestCase("issuer=https://broker.corp.example/", "must not end with a slash")]
    [TestCase("redis.connectionStringSecret.name=", "redis.connectionStringSecret.name is required")]
    [TestCase("signingKeys.secretName=", "signingKeys.secretName is required")]
    public async Task Rendering_without_a_required_value_fails_with_a_clear_message(string setting, string message)
    {
        var (exitCode, output) = await HelmAsync("template", "cb", Chart, "-f", TestValues, "--set", setting);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Not.Zero);
            Assert.That(output, Does.Contain(message));
        });
    }

    private static async Task<(int ExitCode, string Output)> HelmAsync(params string[] arguments)
    {
        var helm = Environment.GetEnvironmentVariable("CB_HELM") ?? FindOnPath("helm")
            ?? throw new InvalidOperationException("helm was not found: run './build.sh test' (it installs helm into .tools/), or set CB_HELM.");
        var result = await ProcessRunner.RunAsync(helm, arguments);
        return (result.ExitCode, result.StandardOutput + result.StandardError);
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
