using System.Text.Json;
using System.Text.Json.Serialization;
using CredentialBroker.Client.Orchestrators;
using CredentialBroker.Client.Soc;

namespace CredentialBroker.Client;

/// <summary>The broker's REST bodies (camelCase JSON), source-generated.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TaskRequest))]
[JsonSerializable(typeof(TaskStateChange))]
[JsonSerializable(typeof(IssuedTask))]
[JsonSerializable(typeof(TaskView))]
[JsonSerializable(typeof(RevocationRequest))]
[JsonSerializable(typeof(BulkRevocation))]
[JsonSerializable(typeof(IncidentRequest))]
[JsonSerializable(typeof(Incident))]
[JsonSerializable(typeof(List<Incident>))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
