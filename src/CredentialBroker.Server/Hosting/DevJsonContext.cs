using System.Text.Json.Serialization;

namespace CredentialBroker.Server.Hosting;

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class DevJsonContext : JsonSerializerContext;
