using System.Buffers;
using System.Text;
using System.Text.Json;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Tasks;
using CredentialBroker.Core.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CredentialBroker.Core.Issuance;

/// <summary>
/// Signs every token the broker issues, ES256 with the active key: task tokens and delegated task tokens
/// (<c>typ: task+jwt</c>), downstream access tokens (<c>typ: at+jwt</c>, RFC 9068) and transaction tokens
/// (<c>typ: txntoken+jwt</c>, draft-ietf-oauth-transaction-tokens-10). A token is a pure
/// function of the stored records and the grants it carries, so signing the same records again yields the
/// same claims (an idempotent retry re-signs the recorded credential rather than minting a new one).
/// </summary>
public sealed class TokenFactory
{
    /// <summary>The <c>type</c> of the RFC 9396 authorization details the broker's tokens carry.</summary>
    public const string AuthorizationDetailType = "tool";

    private static readonly JsonWebTokenHandler Handler = new();
    private static readonly Dictionary<string, object> TaskHeader = new(StringComparer.Ordinal) { ["typ"] = TokenTypes.Task };
    private static readonly Dictionary<string, object> AccessHeader = new(StringComparer.Ordinal) { ["typ"] = TokenTypes.AccessToken };
    private static readonly Dictionary<string, object> TxnHeader = new(StringComparer.Ordinal) { ["typ"] = TokenTypes.TxnToken };
    private static readonly Dictionary<string, object> StatusListHeader = new(StringComparer.Ordinal) { ["typ"] = StatusLists.TokenType };

    private readonly SigningKeyRing _keys;
    private readonly TimeProvider _time;
    private readonly string _issuer;

    /// <summary>Creates the factory.</summary>
    public TokenFactory(SigningKeyRing keys, IOptions<CredentialBrokerOptions> options, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = keys;
        _time = time;
        _issuer = options.Value.Issuer ?? throw new InvalidOperationException("CredentialBroker:Issuer must be set before tokens can be signed.");
    }

    /// <summary>The broker's issuer identifier.</summary>
    public string Issuer => _issuer;

    /// <summary>The URI of a Token Status List: the <c>uri</c> its tokens carry and the <c>sub</c> of the list itself.</summary>
    public string StatusListUri(string list) => _issuer + StatusLists.Path + "/" + list;

    /// <summary>Signs the task token of <paramref name="task"/>: all of the task's grants, bound to its agent.</summary>
    public string SignTaskToken(TaskRecord task, CredentialRecord credential)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(credential);
        return Handler.CreateToken(Payload(task, credential, _issuer, task.Authorization, [], clientId: null, scope: null), Credentials, TaskHeader);
    }

    /// <summary>Signs a delegated task token: the task's agent stays <c>sub</c>, the actors nest in <c>act</c> (current actor outermost).</summary>
    public string SignDelegatedToken(TaskRecord task, CredentialRecord credential, IReadOnlyList<AuthorizationGrant> grants, IReadOnlyList<string> actors)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(credential);
        return Handler.CreateToken(Payload(task, credential, _issuer, grants, actors, clientId: null, scope: null), Credentials, TaskHeader);
    }

    /// <summary>Signs an RFC 9068 access token for one audience.</summary>
    public string SignAccessToken(TaskRecord task, CredentialRecord credential, IReadOnlyList<AuthorizationGrant> grants, IReadOnlyList<string> actors, string clientId, string scope)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(credential);
        var audience = credential.Audience ?? throw new ArgumentException("An access token needs an audience.", nameof(credential));
        return Handler.CreateToken(Payload(task, credential, audience, grants, actors, clientId, scope), Credentials, AccessHeader);
    }

    /// <summary>
    /// Signs a transaction token (draft-ietf-oauth-transaction-tokens-10 §7): <c>aud</c> the trust domain, <c>txn</c> the
    /// task id, <c>sub</c> the task's agent, <c>scope</c>, <c>tctx</c> (the task's fixed context: workflow, approval and the
    /// grants as RFC 9396 authorization details), <c>rctx</c> (who asked for the task and how the first requesting workload
    /// authenticated) and <c>req_wl</c> (the requesting workloads, first to last, comma-separated). The task's actors, if
    /// it was delegated, nest in <c>act</c> as in the broker's other tokens; <c>jti</c> and <c>task_id</c> name its record.
    /// </summary>
    /// <param name="task">The task.</param>
    /// <param name="credential">The token's record; its <see cref="CredentialRecord.Audience"/> is the trust domain.</param>
    /// <param name="grants">The grants it carries (already narrowed to <paramref name="scope"/>).</param>
    /// <param name="actors">The delegation chain, current actor first.</param>
    /// <param name="requesters">The workloads that requested it and the tokens it replaces, first to last.</param>
    /// <param name="authn">How the first requesting workload authenticated to the broker.</param>
    /// <param name="scope">The space-separated scope.</param>
    public string SignTransactionToken(
        TaskRecord task, CredentialRecord credential, IReadOnlyList<AuthorizationGrant> grants, IReadOnlyList<string> actors,
        IReadOnlyList<string> requesters, string authn, string scope)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(requesters);
        var trustDomain = credential.Audience ?? throw new ArgumentException("A transaction token needs its trust domain as audience.", nameof(credential));
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("iss", _issuer);
            json.WriteString("aud", trustDomain);
            json.WriteString("sub", task.Agent);
            json.WriteString("txn", task.TaskId);
            json.WriteNumber("iat", credential.IssuedAt.ToUnixTimeSeconds());
            json.WriteNumber("nbf", credential.IssuedAt.ToUnixTimeSeconds());
            json.WriteNumber("exp", credential.ExpiresAt.ToUnixTimeSeconds());
            json.WriteString("jti", credential.Jti);
            json.WriteString("task_id", task.TaskId);
            json.WriteString("scope", scope);
            json.WriteString("req_wl", string.Join(", ", requesters));
            json.WriteStartObject("tctx");
            json.WriteStartObject("workflow");
            json.WriteString("id", task.Workflow.Id);
            json.WriteString("designer", task.Workflow.Designer);
            json.WriteString("version", task.Workflow.Version);
            json.WriteEndObject();
            if (task.Approval is { } approval)
            {
                json.WriteStartObject("approval");
                json.WriteString("id", approval.Id);
                json.WriteString("approver", approval.Approver);
                json.WriteNumber("approved_at", approval.ApprovedAt.ToUnixTimeSeconds());
                json.WriteEndObject();
            }

            WriteAuthorizationDetails(json, grants);
            json.WriteEndObject();
            json.WriteStartObject("rctx");
            json.WriteString("authn", authn);
            if (task.Origin is { } origin)
            {
                if (origin.RequestedBy is not null)
                {
                    json.WriteString("requested_by", origin.RequestedBy);
                }

                if (origin.PromptId is not null)
                {
                    json.WriteString("prompt_id", origin.PromptId);
                }
            }

            json.WriteEndObject();
            WriteActors(json, actors);
            WriteStatus(json, credential);
            json.WriteEndObject();
        }

        return Handler.CreateToken(Encoding.UTF8.GetString(buffer.WrittenSpan), Credentials, TxnHeader);
    }

    /// <summary>
    /// Signs a Status List Token (draft-ietf-oauth-status-list §5.1, <c>typ: statuslist+jwt</c>) for <paramref name="list"/>:
    /// <c>sub</c> its URI, <c>iat</c> <paramref name="issuedAt"/>, <c>exp</c> after <paramref name="lifetime"/>, <c>ttl</c>
    /// <paramref name="timeToLive"/>, and <c>status_list</c> one bit per entry, compressed.
    /// </summary>
    public string SignStatusList(string list, ReadOnlySpan<byte> bits, DateTimeOffset issuedAt, TimeSpan timeToLive, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(list);
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("iss", _issuer);
            json.WriteString("sub", StatusListUri(list));
            json.WriteNumber("iat", issuedAt.ToUnixTimeSeconds());
            json.WriteNumber("exp", (issuedAt + lifetime).ToUnixTimeSeconds());
            json.WriteNumber("ttl", (long)timeToLive.TotalSeconds);
            json.WriteStartObject("status_list");
            json.WriteNumber("bits", StatusLists.Bits);
            json.WriteString("lst", StatusLists.Encode(bits));
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Handler.CreateToken(Encoding.UTF8.GetString(buffer.WrittenSpan), Credentials, StatusListHeader);
    }

    // draft-ietf-oauth-status-list §6.2: where a resource server reads whether the token was revoked.
    private void WriteStatus(Utf8JsonWriter json, CredentialRecord credential)
    {
        if (credential.Status is { } status)
        {
            json.WriteStartObject("status");
            json.WriteStartObject("status_list");
            json.WriteNumber("idx", status.Index);
            json.WriteString("uri", StatusListUri(status.List));
            json.WriteEndObject();
            json.WriteEndObject();
        }
    }

    // The key that signs now: a scheduled rotation switches keys without a restart.
    private Microsoft.IdentityModel.Tokens.SigningCredentials Credentials => _keys.ActiveAt(_time.GetUtcNow()).Credentials;

    private string Payload(TaskRecord task, CredentialRecord credential, string audience, IReadOnlyList<AuthorizationGrant> grants, IReadOnlyList<string> actors, string? clientId, string? scope)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("iss", _issuer);
            json.WriteString("sub", task.Agent);
            json.WriteString("aud", audience);
            json.WriteNumber("iat", credential.IssuedAt.ToUnixTimeSeconds());
            json.WriteNumber("nbf", credential.IssuedAt.ToUnixTimeSeconds());
            json.WriteNumber("exp", credential.ExpiresAt.ToUnixTimeSeconds());
            json.WriteString("jti", credential.Jti);
            if (clientId is not null)
            {
                json.WriteString("client_id", clientId);
            }

            if (scope is not null)
            {
                json.WriteString("scope", scope);
            }

            json.WriteString("task_id", task.TaskId);
            json.WriteString("workflow_id", task.Workflow.Id);
            WriteAuthorizationDetails(json, grants);
            WriteActors(json, actors);
            json.WriteStartObject("cnf");
            json.WriteString("spiffe_id", credential.Holder);
            if (credential.Binding is { } binding)
            {
                json.WriteString(binding.Member, binding.Thumbprint);
            }

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
            WriteStatus(json, credential);

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteAuthorizationDetails(Utf8JsonWriter json, IReadOnlyList<AuthorizationGrant> grants)
    {
        json.WriteStartArray("authorization_details");
        foreach (var grant in grants)
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
    }

    // RFC 8693 §4.1: the current actor is the outermost "act"; earlier actors nest inside it.
    private static void WriteActors(Utf8JsonWriter json, IReadOnlyList<string> actors)
    {
        if (actors.Count == 0)
        {
            return;
        }

        json.WritePropertyName("act");
        for (var i = 0; i < actors.Count; i++)
        {
            json.WriteStartObject();
            json.WriteString("sub", actors[i]);
            if (i < actors.Count - 1)
            {
                json.WritePropertyName("act");
            }
        }

        for (var i = 0; i < actors.Count; i++)
        {
            json.WriteEndObject();
        }
    }
}
