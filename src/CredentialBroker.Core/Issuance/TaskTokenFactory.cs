using System.Buffers;
using System.Text;
using System.Text.Json;
using CredentialBroker.Core.Storage;
using CredentialBroker.Core.Tasks;
using CredentialBroker.Core.Tokens;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CredentialBroker.Core.Issuance;

/// <summary>
/// Signs task tokens (<c>typ: task+jwt</c>, ES256). The token is a pure function of the stored task and
/// credential records, so the same records always yield the same claims (an idempotent retry re-signs
/// the recorded credential rather than minting a new one).
/// </summary>
public sealed class TaskTokenFactory
{
    /// <summary>The <c>type</c> of the RFC 9396 authorization details a task token carries.</summary>
    public const string AuthorizationDetailType = "tool";

    private static readonly JsonWebTokenHandler Handler = new();
    private static readonly Dictionary<string, object> Header = new(StringComparer.Ordinal) { ["typ"] = TokenTypes.Task };

    private readonly SigningKeyRing _keys;
    private readonly string _issuer;

    /// <summary>Creates the factory.</summary>
    public TaskTokenFactory(SigningKeyRing keys, IOptions<CredentialBrokerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = keys;
        _issuer = options.Value.Issuer ?? throw new InvalidOperationException("CredentialBroker:Issuer must be set before tokens can be signed.");
    }

    /// <summary>Signs the task token described by <paramref name="task"/> and <paramref name="credential"/>.</summary>
    public string Sign(TaskRecord task, CredentialRecord credential)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(credential);
        return Handler.CreateToken(Payload(task, credential), _keys.Active.Credentials, Header);
    }

    private string Payload(TaskRecord task, CredentialRecord credential)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("iss", _issuer);
            json.WriteString("sub", task.Agent);
            json.WriteString("aud", _issuer);
            json.WriteNumber("iat", credential.IssuedAt.ToUnixTimeSeconds());
            json.WriteNumber("nbf", credential.IssuedAt.ToUnixTimeSeconds());
            json.WriteNumber("exp", credential.ExpiresAt.ToUnixTimeSeconds());
            json.WriteString("jti", credential.Jti);
            json.WriteString("task_id", task.TaskId);
            json.WriteString("workflow_id", task.Workflow.Id);
            json.WriteStartArray("authorization_details");
            foreach (var grant in task.Authorization)
            {
                json.WriteStartObject();
                json.WriteString("type", AuthorizationDetailType);
                json.WriteString("identifier", grant.Tool);
                json.WriteStartArray("locations");
                json.WriteStringValue(grant.Destination);
                json.WriteEndArray();
                json.WriteStartArray("actions");
                foreach (var action in grant.Actions)
                {
                    json.WriteStringValue(action);
                }

                json.WriteEndArray();
                if (grant.DataClass is not null)
                {
                    json.WriteStartArray("datatypes");
                    json.WriteStringValue(grant.DataClass);
                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("cnf");
            json.WriteString("spiffe_id", credential.Holder);
            json.WriteEndObject();
            if (task.Approval is not null)
            {
                json.WriteString("approval_id", task.Approval.Id);
            }

            if (task.Origin?.PromptId is not null)
            {
                json.WriteString("prompt_id", task.Origin.PromptId);
            }

            json.WriteNumber("max_delegation_depth", task.MaxDelegationDepth);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
