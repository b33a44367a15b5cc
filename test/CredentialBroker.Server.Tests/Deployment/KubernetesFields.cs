using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s.Models;

namespace CredentialBroker.Server.Tests.Deployment;

/// <summary>
/// Unknown fields in a manifest, found by walking it along the KubernetesClient API models (generated from the
/// Kubernetes OpenAPI spec; each property carries its JSON name). The JSON Schemas accept fields they do not know, as the
/// API server does by default; a misspelt or mis-indented field in a template is exactly such a field.
/// </summary>
internal static class KubernetesFields
{
    private static readonly Dictionary<(string ApiVersion, string Kind), Type> Models = typeof(V1Deployment).Assembly.GetTypes()
        .Select(t => (Type: t, Entity: t.GetCustomAttribute<KubernetesEntityAttribute>()))
        .Where(e => e.Entity is not null && e.Type.Namespace == "k8s.Models")
        .GroupBy(e => (string.IsNullOrEmpty(e.Entity!.Group) ? e.Entity.ApiVersion : $"{e.Entity.Group}/{e.Entity.ApiVersion}", e.Entity.Kind))
        .ToDictionary(g => g.Key, g => g.First().Type);

    /// <summary>The JSON paths of fields the model of the manifest's kind does not have; null when there is no model (a CRD).</summary>
    public static IReadOnlyList<string>? Unknown(JsonObject manifest)
    {
        if (!Models.TryGetValue(((string?)manifest["apiVersion"] ?? string.Empty, (string?)manifest["kind"] ?? string.Empty), out var model))
        {
            return null;
        }

        var unknown = new List<string>();
        Walk(manifest, model, string.Empty, unknown);
        return unknown;
    }

    private static void Walk(JsonNode? node, Type type, string path, List<string> unknown)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (node is null)
        {
            return;
        }

        if (Generic(type, typeof(IDictionary<,>)) is { } map && node is JsonObject entries)
        {
            foreach (var (key, value) in entries)
            {
                Walk(value, map[1], $"{path}/{key}", unknown);
            }
        }
        else if (Generic(type, typeof(IEnumerable<>)) is { } list && type != typeof(string) && node is JsonArray items)
        {
            for (var i = 0; i < items.Count; i++)
            {
                Walk(items[i], list[0], $"{path}/{i}", unknown);
            }
        }
        else if (type.IsClass && type.Namespace == "k8s.Models" && type != typeof(ResourceQuantity) && node is JsonObject fields)
        {
            var properties = type.GetProperties()
                .Select(p => (Name: p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name, p.PropertyType))
                .Where(p => p.Name is not null)
                .ToDictionary(p => p.Name!, p => p.PropertyType, StringComparer.Ordinal);
            foreach (var (name, value) in fields)
            {
                if (properties.TryGetValue(name, out var propertyType))
                {
                    Walk(value, propertyType, $"{path}/{name}", unknown);
                }
                else
                {
                    unknown.Add($"{path}/{name}");
                }
            }
        }
    }

    private static Type[]? Generic(Type type, Type definition) =>
        (type.IsGenericType && type.GetGenericTypeDefinition() == definition ? type : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition))
            ?.GetGenericArguments();
}
