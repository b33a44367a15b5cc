using System.Text.Json.Serialization;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Issuance;
using CredentialBroker.Core.Tasks;

namespace CredentialBroker.Core;

/// <summary>Source-generated JSON for what the core and the stores serialise.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TaskDraft))]
[JsonSerializable(typeof(TaskRecord))]
internal sealed partial class CoreJsonContext : JsonSerializerContext;
