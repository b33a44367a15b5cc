using System.Text.Json.Nodes;

namespace CredentialBroker.Downstream.Tests.Vault;

/// <summary>
/// One request/response pair from <c>Vault/Recorded/&lt;name&gt;.json</c>: what the client must send (method, path, headers
/// that must be there, headers that must not, JSON body) and what Vault answers. <c>{{name}}</c> placeholders are filled
/// from <see cref="Defaults"/> and the test's own values: a string that is exactly a placeholder takes the value's JSON
/// type (a number stays a number).
/// </summary>
internal sealed class RecordedPair
{
    /// <summary>The values the pairs were written with: the documentation samples' own.</summary>
    public static readonly IReadOnlyDictionary<string, JsonNode> Defaults = new Dictionary<string, JsonNode>(StringComparer.Ordinal)
    {
        ["token"] = "5b1a0318-679c-9c45-e5c6-d1b9a9035d49", // api-docs/auth/approle, "Login with AppRole" sample response
        ["leaseId"] = "database/creds/my-role/2f6a614c-4aa2-7b19-24b9-ad944a8d4de6", // docs/secrets/databases, "Usage"
        ["mount"] = "database",
        ["role"] = "my-role",
        ["ttl"] = 2764790, // api-docs/auth/token, "Lookup a Token (Self)" sample response
    };

    private RecordedPair(string name, JsonObject document)
    {
        Name = name;
        var request = document["request"]!.AsObject();
        var response = document["response"]!.AsObject();
        Comment = (string)document["comment"]!;
        Method = (string)request["method"]!;
        Path = (string)request["path"]!;
        Headers = request["headers"]?.AsObject().ToDictionary(h => h.Key, h => (string)h.Value!, StringComparer.OrdinalIgnoreCase)
                  ?? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        AbsentHeaders = request["absentHeaders"]?.AsArray().Select(h => (string)h!).ToList() ?? [];
        Body = request["body"];
        Status = (int)response["status"]!;
        ResponseBody = response["body"];
        ResponseText = (string?)response["bodyText"];
        ResponseContentType = (string?)response["contentType"] ?? "application/json";
    }

    public string Name { get; }

    public string Comment { get; }

    public string Method { get; }

    public string Path { get; }

    public IReadOnlyDictionary<string, string> Headers { get; }

    public IReadOnlyList<string> AbsentHeaders { get; }

    public JsonNode? Body { get; }

    public int Status { get; }

    public JsonNode? ResponseBody { get; }

    public string? ResponseText { get; }

    public string ResponseContentType { get; }

    /// <summary>Loads a pair with its placeholders filled.</summary>
    public static RecordedPair Load(string name, IReadOnlyDictionary<string, JsonNode>? values = null)
    {
        var file = System.IO.Path.Combine(AppContext.BaseDirectory, "Vault", "Recorded", name + ".json");
        Assert.That(File.Exists(file), Is.True, $"No recorded pair {name}.json");
        var merged = new Dictionary<string, JsonNode>(Defaults, StringComparer.Ordinal);
        foreach (var (key, value) in values ?? new Dictionary<string, JsonNode>())
        {
            merged[key] = value;
        }

        var document = Fill(JsonNode.Parse(File.ReadAllText(file))!, merged)!.AsObject();
        return new RecordedPair(name, document);
    }

    private static JsonNode? Fill(JsonNode? node, IReadOnlyDictionary<string, JsonNode> values)
    {
        switch (node)
        {
            case JsonObject obj:
                var filled = new JsonObject();
                foreach (var (key, value) in obj)
                {
                    filled[key] = Fill(value, values);
                }

                return filled;
            case JsonArray array:
                return new JsonArray([.. array.Select(item => Fill(item, values))]);
            case JsonValue value when value.TryGetValue<string>(out var text):
                foreach (var (key, replacement) in values)
                {
                    var placeholder = "{{" + key + "}}";
                    if (text == placeholder)
                    {
                        return replacement.DeepClone();
                    }

                    text = text.Replace(placeholder, replacement.ToString(), StringComparison.Ordinal);
                }

                return JsonValue.Create(text);
            default:
                return node?.DeepClone();
        }
    }
}
