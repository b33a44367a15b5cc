using System.Text.Json;
using System.Text.Json.Nodes;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Deployment;

/// <summary>
/// Every manifest the chart renders, validated offline against the JSON Schemas generated from the Kubernetes OpenAPI
/// spec (npm kubernetes-models, Kubernetes 1.36) and from the Prometheus Operator's and cert-manager's CRDs
/// (validate-manifests.mjs beside this file). A manifest with no schema fails: nothing is skipped. The schemas allow
/// fields they do not know, so unknown fields are looked for separately, along the KubernetesClient models.
/// </summary>
public sealed class KubernetesSchemaTests
{
    private static IEnumerable<string> CiValueFiles() => Helm.CiValueFiles();

    [TestCaseSource(nameof(CiValueFiles))]
    public async Task Every_manifest_the_chart_renders_is_valid_against_the_kubernetes_schemas(string valuesFile)
    {
        var chart = await Helm.TemplateAsync(Helm.CiValues(valuesFile));

        var (exitCode, results, output) = await ValidateAsync(chart.Yaml);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Zero, output);
            Assert.That(results.Select(r => (string?)r["kind"]), Is.EqualTo(chart.Kinds), "every document was validated");
            Assert.That(results.Where(r => (bool?)r["valid"] != true).Select(r => $"{r["kind"]}: {r["errors"]}"), Is.Empty);
        });
    }

    // The CRDs' kinds have no KubernetesClient model; their fields are checked by their schemas only.
    private static readonly string[] CustomResourceKinds = ["ServiceMonitor", "Certificate"];

    [TestCaseSource(nameof(CiValueFiles))]
    public async Task No_manifest_the_chart_renders_has_a_field_kubernetes_does_not_know(string valuesFile)
    {
        var chart = await Helm.TemplateAsync(Helm.CiValues(valuesFile));

        Assert.Multiple(() =>
        {
            foreach (var manifest in chart.Documents)
            {
                var kind = (string)manifest["kind"]!;
                var unknown = KubernetesFields.Unknown(manifest);
                if (CustomResourceKinds.Contains(kind))
                {
                    Assert.That(unknown, Is.Null, $"{kind} is a custom resource");
                }
                else
                {
                    Assert.That(unknown, Is.Not.Null.And.Empty, $"{kind} {manifest["metadata"]!["name"]}");
                }
            }
        });
    }

    [Test]
    public async Task A_misspelt_field_passes_the_schema_but_is_found_as_unknown()
    {
        var deployment = (await Helm.TemplateAsync(Helm.RequiredValues)).Deployment;
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject();
        container["readinesProbe"] = container["readinessProbe"]!.DeepClone();
        container.Remove("readinessProbe");

        var (exitCode, _, output) = await ValidateAsync(deployment.ToJsonString());

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Zero, "the schemas allow fields they do not know: " + output);
            Assert.That(KubernetesFields.Unknown(deployment), Is.EqualTo(new[] { "/spec/template/spec/containers/0/readinesProbe" }));
        });
    }

    [Test]
    public async Task The_rendered_deployment_as_it_is_is_valid()
    {
        var deployment = (await Helm.TemplateAsync(Helm.RequiredValues)).Deployment;

        var (exitCode, results, output) = await ValidateAsync(deployment.ToJsonString());

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Zero, output);
            Assert.That((bool?)results.Single()["valid"], Is.True);
            Assert.That(KubernetesFields.Unknown(deployment), Is.Empty);
        });
    }

    [Test]
    public async Task A_deployment_whose_container_port_is_a_name_is_invalid()
    {
        var deployment = (await Helm.TemplateAsync(Helm.RequiredValues)).Deployment;
        deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["ports"]![0]!["containerPort"] = "http";

        var (exitCode, results, _) = await ValidateAsync(deployment.ToJsonString());

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(1));
            Assert.That((bool?)results.Single()["valid"], Is.False);
            Assert.That((string?)results.Single()["errors"], Does.Contain("containers/0/ports/0/containerPort must be integer"));
        });
    }

    [Test]
    public async Task A_deployment_without_its_selector_or_a_container_name_is_invalid()
    {
        var deployment = (await Helm.TemplateAsync(Helm.RequiredValues)).Deployment;
        deployment["spec"]!.AsObject().Remove("selector");
        deployment["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject().Remove("name");

        var (exitCode, results, _) = await ValidateAsync(deployment.ToJsonString());

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(1));
            Assert.That((string?)results.Single()["errors"], Does.Contain("data/spec must have required property selector"));
            Assert.That((string?)results.Single()["errors"], Does.Contain("containers/0 must have required property name"));
        });
    }

    [Test]
    public async Task The_rendered_service_monitor_as_it_is_is_valid()
    {
        var monitor = (await Helm.TemplateAsync(Helm.CiValues("service-monitor-values.yaml"))).Single("ServiceMonitor");

        var (exitCode, results, output) = await ValidateAsync(monitor.ToJsonString());

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.Zero, output);
            Assert.That((bool?)results.Single()["valid"], Is.True);
        });
    }

    [Test]
    public async Task A_service_monitor_whose_endpoints_are_not_a_list_is_invalid_against_its_crd_schema()
    {
        var monitor = (await Helm.TemplateAsync(Helm.CiValues("service-monitor-values.yaml"))).Single("ServiceMonitor");
        monitor["spec"]!["endpoints"] = JsonNode.Parse("""{"port": "http"}""");

        var (exitCode, results, _) = await ValidateAsync(monitor.ToJsonString());

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(1));
            Assert.That((string?)results.Single()["errors"], Does.Contain("data/spec/endpoints must be array"));
        });
    }

    [Test]
    public async Task A_kind_without_a_schema_is_an_error_not_a_skip()
    {
        var (exitCode, results, _) = await ValidateAsync("""{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}""");

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(1));
            Assert.That((string?)results.Single()["errors"], Is.EqualTo("no schema for this apiVersion and kind"));
        });
    }

    [Test]
    public async Task A_manifest_with_a_duplicate_key_is_invalid()
    {
        var (exitCode, results, _) = await ValidateAsync("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: '1'}\ndata: {b: '2'}\n");

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(1));
            Assert.That((string?)results.Single()["errors"], Does.Contain("Map keys must be unique"));
        });
    }

    /// <summary>Runs validate-manifests.mjs on <paramref name="manifests"/>: its exit code and one result per document.</summary>
    private static async Task<(int ExitCode, IReadOnlyList<JsonObject> Results, string Output)> ValidateAsync(string manifests)
    {
        var node = Tools.OnPath("node") ?? throw new InvalidOperationException("node was not found: run './build.sh test' (it installs npm and node).");
        var schemas = Environment.GetEnvironmentVariable("CB_K8S_SCHEMAS") ?? Tools.InRepository(".tools", "kubernetes-models", "node_modules")
            ?? throw new InvalidOperationException("The Kubernetes JSON schemas were not found: run './build.sh test' (it installs them into .tools/kubernetes-models), or set CB_K8S_SCHEMAS.");
        using var input = await TemporaryFile.WriteAsync(manifests, ".yaml");
        var script = Repository.Path("test", "CredentialBroker.Server.Tests", "Deployment", "validate-manifests.mjs");

        var result = await ProcessRunner.RunAsync(node, [script, schemas, input.Path]);

        var results = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonNode.Parse(line)!.AsObject()).ToList();
        return (result.ExitCode, results, result.StandardOutput + result.StandardError);
    }
}
