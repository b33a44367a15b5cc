using System.Text;
using System.Text.Json.Nodes;
using CredentialBroker.Testing;
using Microsoft.Extensions.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CredentialBroker.Server.Tests.Deployment;

/// <summary>The chart, rendered by the real Helm binary <c>./build.sh</c> installs (<c>CB_HELM</c>).</summary>
internal static class Helm
{
    public static readonly string Chart = Repository.Path("charts", "credentialbroker");

    /// <summary>The required values and nothing else: the chart's defaults.</summary>
    public static readonly string RequiredValues = CiValues("test-values.yaml");

    /// <summary>A values file of <c>charts/credentialbroker/ci/</c>: each is complete on its own and renders one option.</summary>
    public static string CiValues(string name) => Path.Combine(Chart, "ci", name);

    /// <summary>Every values file of <c>ci/</c>, by file name.</summary>
    public static IEnumerable<string> CiValueFiles() =>
        Directory.EnumerateFiles(Path.Combine(Chart, "ci"), "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        var helm = Environment.GetEnvironmentVariable("CB_HELM") ?? Tools.OnPath("helm") ?? Tools.InRepository(".tools", "helm", "helm")
            ?? throw new InvalidOperationException("helm was not found: run './build.sh test' (it installs helm into .tools/), or set CB_HELM.");
        var result = await ProcessRunner.RunAsync(helm, arguments);
        return (result.ExitCode, result.StandardOutput + result.StandardError);
    }

    /// <summary><c>helm template</c> with a values file (and <c>--set</c>s); fails the test if Helm refuses.</summary>
    public static async Task<RenderedChart> TemplateAsync(string valuesFile, params string[] sets)
    {
        var (exitCode, output) = await RunAsync(["template", "cb", Chart, "--namespace", "broker", "-f", valuesFile, .. sets.SelectMany(s => new[] { "--set", s })]);
        Assert.That(exitCode, Is.Zero, output);
        return new RenderedChart(output);
    }
}

/// <summary>Rendered manifests, as JSON documents for assertions.</summary>
internal sealed class RenderedChart
{
    public RenderedChart(string yaml)
    {
        Yaml = yaml;
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        Documents = [.. stream.Documents.Select(d => ToJson(d.RootNode)).OfType<JsonObject>()];
    }

    public string Yaml { get; }

    public IReadOnlyList<JsonObject> Documents { get; }

    public IEnumerable<string> Kinds => Documents.Select(d => (string)d["kind"]!);

    public JsonObject Single(string kind) => Documents.Single(d => (string?)d["kind"] == kind);

    public JsonObject? SingleOrDefault(string kind) => Documents.SingleOrDefault(d => (string?)d["kind"] == kind);

    public JsonObject Deployment => Single("Deployment");

    public JsonObject PodSpec => Deployment["spec"]!["template"]!["spec"]!.AsObject();

    public JsonObject Broker => PodSpec["containers"]!.AsArray().Single(c => (string?)c!["name"] == "broker")!.AsObject();

    /// <summary>The broker container's environment: name → value, or → <c>secret:name/key</c> for values from a Secret.</summary>
    public IReadOnlyDictionary<string, string> Environment => Broker["env"]!.AsArray().ToDictionary(
        e => (string)e!["name"]!,
        e => e!["value"] is { } value ? (string)value! : $"secret:{e["valueFrom"]!["secretKeyRef"]!["name"]}/{e["valueFrom"]!["secretKeyRef"]!["key"]}",
        StringComparer.Ordinal);

    /// <summary>The broker's <c>appsettings.Production.json</c>, as the settings ConfigMap holds it.</summary>
    public string AppSettingsJson => (string)Documents.Single(d => (string?)d["kind"] == "ConfigMap" && d["data"]?["appsettings.Production.json"] is not null)["data"]!["appsettings.Production.json"]!;

    /// <summary>The broker's configuration: the rendered settings file plus <paramref name="environment"/> (as the container gets it).</summary>
    public IConfiguration Configuration(IReadOnlyDictionary<string, string?>? environment = null) => new ConfigurationBuilder()
        .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(AppSettingsJson)))
        .AddInMemoryCollection((environment ?? new Dictionary<string, string?>()).Select(e => KeyValuePair.Create(e.Key.Replace("__", ":", StringComparison.Ordinal), e.Value)))
        .Build();

    // Plain scalars are typed the way Kubernetes reads them (numbers, booleans, null); quoted ones stay strings.
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode { Style: ScalarStyle.Plain } scalar => scalar.Value switch
        {
            null or "" or "~" or "null" => null,
            "true" => JsonValue.Create(true),
            "false" => JsonValue.Create(false),
            var text when int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
            var text when long.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
            var text => JsonValue.Create(text),
        },
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => null,
    };
}

/// <summary>A file in the temporary directory, deleted on dispose.</summary>
internal sealed class TemporaryFile : IDisposable
{
    private TemporaryFile(string path) => Path = path;

    public string Path { get; }

    public static async Task<TemporaryFile> WriteAsync(string text, string extension)
    {
        var file = new TemporaryFile(System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"cb-{Guid.NewGuid():N}{extension}"));
        await File.WriteAllTextAsync(file.Path, text);
        return file;
    }

    public void Dispose() => File.Delete(Path);
}

/// <summary>Where the tools <c>./build.sh</c> installs are found.</summary>
internal static class Tools
{
    public static string? OnPath(string name) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    public static string? InRepository(params string[] parts)
    {
        var path = Repository.Path(parts);
        return File.Exists(path) || Directory.Exists(path) ? path : null;
    }
}
