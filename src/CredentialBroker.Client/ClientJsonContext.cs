using System.Text.Json;
using System.Text.Json.Serialization;
using CredentialBroker.Client.Audit;
using CredentialBroker.Client.Operators;
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
[JsonSerializable(typeof(AuditTrace))]
[JsonSerializable(typeof(AuditVerification))]
[JsonSerializable(typeof(List<SignedCheckpoint>))]
[JsonSerializable(typeof(ContinuationRequest))]
[JsonSerializable(typeof(TaskContinuation))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
