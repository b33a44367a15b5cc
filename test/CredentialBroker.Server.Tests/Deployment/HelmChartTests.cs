using System.Text.Json.Nodes;
using CredentialBroker.Abstractions;
using CredentialBroker.Core;
using CredentialBroker.Downstream;
using CredentialBroker.Downstream.Providers;
using CredentialBroker.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Tests.Deployment;

/// <summary>The Helm chart, linted and rendered by a real Helm binary; the settings it renders pass the broker's own validation.</summary>
public sealed class HelmChartTests
{
    private static IEnumerable<string> CiValueFiles() => Helm.CiValueFiles();

    [Test]
    public async Task The_chart_lints_clean_with_the_required_values()
    {
        var (exitCode, output) = await Helm.RunAsync("lint", Helm.Chart, "--strict", "-f", Helm.RequiredValues);
        Assert.That(exitCode, Is.Zero, output);
    }

    [TestCaseSource(nameof(CiValueFiles))]
    public async Task Every_ci_values_file_lints_clean(string valuesFile)
    {
        var (exitCode, output) = await Helm.RunAsync("lint", Helm.Chart, "--strict", "-f", Helm.CiValues(valuesFile));
        Assert.That(exitCode, Is.Zero, output);
    }

    [Test]
    public async Task The_defaults_render_a_production_deployment_with_probes_and_a_locked_down_pod()
    {
        var chart = await Helm.TemplateAsync(Helm.RequiredValues);
        var pod = chart.PodSpec;
        var broker = chart.Broker;

        Assert.Multiple(() =>
        {
            Assert.That(chart.Kinds, Is.EquivalentTo(new[] { "ConfigMap", "Deployment", "PodDisruptionBudget", "Service", "ServiceAccount" }));
            Assert.That(chart.Environment["ASPNETCORE_ENVIRONMENT"], Is.EqualTo("Production"));
            Assert.That(chart.Environment["ConnectionStrings__Redis"], Is.EqualTo("secret:broker-redis/connection-string"));
            Assert.That((string?)broker["startupProbe"]!["httpGet"]!["path"], Is.EqualTo("/healthz"));
            Assert.That((string?)broker["livenessProbe"]!["httpGet"]!["path"], Is.EqualTo("/healthz"));
            Assert.That((string?)broker["readinessProbe"]!["httpGet"]!["path"], Is.EqualTo("/readyz"));
            Assert.That((string?)broker["readinessProbe"]!["httpGet"]!["scheme"], Is.EqualTo("HTTP"));
            Assert.That(broker["args"]!.AsArray().Select(a => (string?)a), Is.EqualTo(new[] { "--urls", "http://0.0.0.0:8080" }));
            Assert.That((int?)broker["lifecycle"]!["preStop"]!["sleep"]!["seconds"], Is.EqualTo(5));
            Assert.That((bool?)broker["securityContext"]!["readOnlyRootFilesystem"], Is.True);
            Assert.That((bool?)broker["securityContext"]!["allowPrivilegeEscalation"], Is.False);
            Assert.That(broker["securityContext"]!["capabilities"]!["drop"]!.AsArray().Select(c => (string?)c), Is.EqualTo(new[] { "ALL" }));
            Assert.That((bool?)pod["securityContext"]!["runAsNonRoot"], Is.True);
            Assert.That((int?)pod["securityContext"]!["runAsUser"], Is.EqualTo(1654));
            Assert.That((string?)pod["securityContext"]!["seccompProfile"]!["type"], Is.EqualTo("RuntimeDefault"));
            Assert.That((bool?)pod["automountServiceAccountToken"], Is.False);
            Assert.That((bool?)chart.Single("ServiceAccount")["automountServiceAccountToken"], Is.False);
            Assert.That(broker["resources"]!["requests"]!["cpu"]?.ToString(), Is.EqualTo("250m"));
            Assert.That(broker["resources"]!["limits"]!["memory"]?.ToString(), Is.EqualTo("512Mi"));
            Assert.That((int?)chart.Single("PodDisruptionBudget")["spec"]!["maxUnavailable"], Is.EqualTo(1));
            Assert.That((int?)chart.Deployment["spec"]!["replicas"], Is.EqualTo(2));
            Assert.That(pod["topologySpreadConstraints"]!.AsArray().Select(c => (string?)c!["topologyKey"]),
                Is.EqualTo(new[] { "topology.kubernetes.io/zone", "kubernetes.io/hostname" }));
            Assert.That(pod["affinity"]!["podAntiAffinity"]!["preferredDuringSchedulingIgnoredDuringExecution"], Is.Not.Null);
            Assert.That(pod["initContainers"], Is.Null, "the SPIFFE helper is off by default");
            Assert.That(pod["volumes"]!.AsArray().Select(v => (string?)v!["name"]), Is.EquivalentTo(new[] { "settings", "signing-keys", "trust-bundles", "tmp" }));
        });
    }

    [TestCaseSource(nameof(CiValueFiles))]
    public async Task The_rendered_settings_pass_the_brokers_validation(string valuesFile)
    {
        var chart = await Helm.TemplateAsync(Helm.CiValues(valuesFile));
        var configuration = chart.Configuration(SecretsFor(chart));
        var options = configuration.GetSection(CredentialBrokerOptions.SectionName).Get<CredentialBrokerOptions>()!;
        var redis = configuration.GetSection(RedisStoreOptions.SectionName).Get<RedisStoreOptions>()!;

        var result = new CredentialBrokerOptionsValidator().Validate(null, options);

        Assert.Multiple(() =>
        {
            Assert.That(result.Succeeded, Is.True, string.Join("; ", result.Failures ?? []));
            Assert.That(options.Issuer, Is.EqualTo("https://broker.corp.example"));
            Assert.That(options.SigningKeys.Select(k => k.Path), Has.All.StartWith("/etc/credentialbroker/keys/"));
            Assert.That(options.TrustBundles["corp.example"], Is.EqualTo("/etc/credentialbroker/bundles/corp.example.jwks.json"));
            Assert.That(options.Roles.Orchestrator, Is.EqualTo(new[] { "spiffe://corp.example/orchestrators/" }));
            Assert.That(redis.KeyPrefix, Is.EqualTo("cb"));
            Assert.That(redis.OperationTimeout, Is.EqualTo(TimeSpan.FromSeconds(2)));
            Assert.That(() => StackExchange.Redis.ConfigurationOptions.Parse(configuration.GetConnectionString("Redis")!), Throws.Nothing);
            Assert.That(() => DownstreamOptions(configuration), Throws.Nothing, "the downstream providers validate");
        });
    }

    [Test]
    public async Task The_required_values_render_the_settings_they_name()
    {
        var chart = await Helm.TemplateAsync(Helm.RequiredValues);
        var options = chart.Configuration().GetSection(CredentialBrokerOptions.SectionName).Get<CredentialBrokerOptions>()!;

        Assert.Multiple(() =>
        {
            Assert.That(options.SigningKeys.Select(k => k.Path), Is.EqualTo(new[] { "/etc/credentialbroker/keys/signing.pem", "/etc/credentialbroker/keys/previous.pem" }));
            Assert.That(options.MaxTaskTtl, Is.EqualTo(TimeSpan.FromMinutes(10)), "settings are merged in");
            Assert.That(options.X509Bundles, Is.Empty);
            Assert.That(chart.Configuration()["CredentialBroker:Policy:Path"], Is.Null, "no policy path: the built-in policy");
            Assert.That(chart.Configuration().GetSection("Kestrel").Exists(), Is.False);
        });
    }

    [TestCase("issuer=https://broker.corp.example/", "/issuer")]
    [TestCase("issuer=http://broker.corp.example", "/issuer")]
    [TestCase("replicaCount=0", "/replicaCount")]
    [TestCase("redis.topology=primary", "/redis/topology")]
    [TestCase("redis.topology=sentinel", "/redis/sentinel/masterName")]
    [TestCase("service.port=70000", "/service/port")]
    [TestCase("podAntiAffinity=always", "/podAntiAffinity")]
    [TestCase("tls.enabled=true", "/tls/secretName")]
    [TestCase("tls.source=acme", "/tls/source")]
    [TestCase("image.digest=latest", "/image/digest")]
    [TestCase("downstream.providers.db.kind=mysql", "/downstream/providers/db/kind")]
    [TestCase("replicaCont=3", "'replicaCont' not allowed")]
    public async Task A_bad_value_fails_with_a_message_naming_the_field(string setting, string message)
    {
        var (exitCode, output) = await Helm.RunAsync("template", "cb", Helm.Chart, "-f", Helm.RequiredValues, "--set", setting);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Not.Zero);
            Assert.That(output, Does.Contain("values don't meet the specifications of the schema"));
            Assert.That(output, Does.Contain(message));
        });
    }

    [TestCase("issuer=https://broker.corp.example/tenant-a")]
    [TestCase("replicaCount=1")]
    [TestCase("redis.topology=cluster")]
    [TestCase("redis.topology=sentinel,redis.sentinel.masterName=broker")]
    [TestCase("service.port=8443")]
    [TestCase("podAntiAffinity=hard")]
    [TestCase("tls.enabled=true,tls.secretName=broker-tls")]
    [TestCase("tls.source=certManager")]
    [TestCase("image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [TestCase("downstream.providers.db.kind=vault,downstream.providers.db.resource=vault://db,downstream.providers.db.vault.address=https://vault:8200")]
    [TestCase("replicaCount=3")]
    public async Task The_same_field_with_a_good_value_renders(string setting)
    {
        var (exitCode, output) = await Helm.RunAsync("template", "cb", Helm.Chart, "-f", Helm.RequiredValues, "--set", setting);
        Assert.That(exitCode, Is.Zero, output);
    }

    // Left out, a required value keeps the chart's empty default, which the schema refuses by name.
    [TestCase("issuer", "at '/issuer': minLength: got 0, want 1")]
    [TestCase("redis", "at '/redis/connectionStringSecret/name': minLength: got 0, want 1")]
    [TestCase("signingKeys", "at '/signingKeys/secretName': minLength: got 0, want 1")]
    [TestCase("trustBundles", "at '/trustBundles/domains': minProperties: got 0, want 1")]
    public async Task Rendering_without_a_required_value_fails_naming_it(string value, string message)
    {
        using var values = await ValuesWithoutAsync(value);

        var (exitCode, output) = await Helm.RunAsync("template", "cb", Helm.Chart, "-f", values.Path);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Not.Zero);
            Assert.That(output, Does.Contain(message));
        });
    }

    [Test]
    public async Task Rendering_with_every_required_value_succeeds()
    {
        using var values = await ValuesWithoutAsync("nothing");

        var (exitCode, output) = await Helm.RunAsync("template", "cb", Helm.Chart, "-f", values.Path);

        Assert.That(exitCode, Is.Zero, output);
    }

    // Checks across values that the schema does not express; the chart's templates make them, with the same clarity.
    [TestCase("x509Bundles.configMapName=x509,x509Bundles.domains.corp\\.example=corp.pem", "x509Bundles (or spiffe.trustDomain) need tls.enabled")]
    [TestCase("tls.enabled=true,tls.source=spiffe", "tls.source spiffe needs spiffe.enabled")]
    [TestCase("networkPolicy.enabled=true", "networkPolicy.redis needs cidrs or podLabels")]
    [TestCase("autoscaling.enabled=true,autoscaling.minReplicas=5,autoscaling.maxReplicas=3", "autoscaling.minReplicas must not exceed autoscaling.maxReplicas")]
    [TestCase("policy.enabled=true", "policy.enabled needs policy.configMapName or policy.documents")]
    public async Task Values_that_contradict_each_other_fail_with_a_clear_message(string settings, string message)
    {
        var (exitCode, output) = await Helm.RunAsync("template", "cb", Helm.Chart, "-f", Helm.RequiredValues, "--set", settings);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Not.Zero);
            Assert.That(output, Does.Contain(message));
        });
    }

    [TestCase("x509Bundles.configMapName=x509,x509Bundles.domains.corp\\.example=corp.pem,tls.enabled=true,tls.secretName=broker-tls")]
    [TestCase("tls.enabled=true,tls.source=spiffe,spiffe.enabled=true")]
    [TestCase("networkPolicy.enabled=true,networkPolicy.redis.cidrs={10.0.0.0/24}")]
    [TestCase("autoscaling.enabled=true,autoscaling.minReplicas=3,autoscaling.maxReplicas=3")]
    [TestCase("policy.enabled=true,policy.configMapName=broker-policy")]
    public async Task The_same_values_made_consistent_render(string settings)
    {
        var (exitCode, output) = await Helm.RunAsync("template", "cb", Helm.Chart, "-f", Helm.RequiredValues, "--set", settings);
        Assert.That(exitCode, Is.Zero, output);
    }

    /// <summary>What the Secrets would hold: a plausible connection string for every environment variable taken from one.</summary>
    internal static Dictionary<string, string?> SecretsFor(RenderedChart chart)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, value) in chart.Environment)
        {
            values[name] = value.StartsWith("secret:", StringComparison.Ordinal) ? name switch
            {
                "ConnectionStrings__Redis" or "CB_REDIS_CONNECTION" => "redis-0.redis:6379,password=secret",
                _ when name.EndsWith("__ConnectionString", StringComparison.Ordinal) => ProviderConnectionString(chart, name),
                _ => "secret",
            } : value;
        }

        // Kubernetes expands $(NAME) from variables defined earlier in the list.
        foreach (var name in values.Keys.ToList())
        {
            foreach (var (other, otherValue) in values)
            {
                values[name] = values[name]?.Replace($"$({other})", otherValue, StringComparison.Ordinal);
            }
        }

        return values;
    }

    private static string ProviderConnectionString(RenderedChart chart, string variable)
    {
        var provider = variable.Split("__")[^2];
        var kind = chart.Configuration()[$"CredentialBroker:Downstream:Providers:{provider}:Kind"];
        return kind == "postgresql" ? "Host=db.internal;Port=5432;Database=payments;Username=cb_admin;Password=secret" : "cache-0.cache:6379,user=cb_admin,password=secret";
    }

    private static DownstreamOptions DownstreamOptions(IConfiguration configuration)
    {
        var services = new ServiceCollection().AddLogging().AddDownstreamSecrets();
        services.Configure<DownstreamOptions>(configuration.GetSection(CredentialBroker.Downstream.Providers.DownstreamOptions.SectionName));
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<DownstreamOptions>>().Value;
    }

    /// <summary>The required values with one top-level value taken out, as a values file of its own.</summary>
    private static async Task<TemporaryFile> ValuesWithoutAsync(string value)
    {
        var text = await File.ReadAllTextAsync(Helm.RequiredValues);
        var kept = new List<string>();
        var skipping = false;
        foreach (var line in text.Split('\n'))
        {
            if (line.Length > 0 && !char.IsWhiteSpace(line[0]))
            {
                skipping = line.StartsWith(value + ":", StringComparison.Ordinal);
            }

            if (!skipping)
            {
                kept.Add(line);
            }
        }

        return await TemporaryFile.WriteAsync(string.Join('\n', kept), ".yaml");
    }
}
