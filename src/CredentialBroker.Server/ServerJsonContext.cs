using System.Text.Json.Serialization;
using CredentialBroker.Server.Policy;
using CredentialBroker.Server.Revocation;
using CredentialBroker.Server.Tasks;

namespace CredentialBroker.Server;

/// <summary>Source-generated JSON for the HTTP contract: camelCase, unknown and duplicate members rejected on input.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    NumberHandling = JsonNumberHandling.Strict,
    MaxDepth = 16)]
[JsonSerializable(typeof(CreateTaskRequest))]
[JsonSerializable(typeof(ChangeStateRequest))]
[JsonSerializable(typeof(ContinuationRequest))]
[JsonSerializable(typeof(ContinuationResponse))]
[JsonSerializable(typeof(CreateTaskResponse))]
[JsonSerializable(typeof(TaskResponse))]
[JsonSerializable(typeof(SetRiskRequest))]
[JsonSerializable(typeof(RiskResponse))]
[JsonSerializable(typeof(List<RiskResponse>))]
[JsonSerializable(typeof(PolicyStatusResponse))]
[JsonSerializable(typeof(ResolveRequest))]
[JsonSerializable(typeof(CredentialResponse))]
[JsonSerializable(typeof(Soc.BulkRevocationRequest))]
[JsonSerializable(typeof(Soc.DryRunResponse))]
[JsonSerializable(typeof(Soc.RevocationResponse))]
[JsonSerializable(typeof(Soc.DeclareIncidentRequest))]
[JsonSerializable(typeof(Soc.IncidentResponse))]
[JsonSerializable(typeof(List<Soc.IncidentResponse>))]
[JsonSerializable(typeof(Soc.ReportResponse))]
[JsonSerializable(typeof(Soc.FleetResponse))]
[JsonSerializable(typeof(Soc.SsfAccepted))]
[JsonSerializable(typeof(Soc.SsfError))]
[JsonSerializable(typeof(Soc.SsfStream))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
