using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CredentialBroker.Server.Tests;

/// <summary>Request helpers speaking the HTTP contract of API.md.</summary>
internal static class Api
{
    /// <summary>A task for <paramref name="agent"/>, delegable (depth 2) to the agents of its trust domain.</summary>
    public static string TaskBody(string agent, int ttlSeconds = 600, string workflow = "wf-invoices", string destination = "postgres://payments") => $$"""
        {
          "agent": "{{agent}}",
          "workflow": {"id": "{{workflow}}", "designer": "team-payments", "version": "3"},
          "authorization": [{"tool": "sql.query", "destination": "{{destination}}", "actions": ["read"], "dataClass": "confidential"}],
          "ttlSeconds": {{ttlSeconds}},
          "approval": {"id": "CHG-1042", "approver": "alice@corp.example", "approvedAt": "2026-11-28T09:00:00Z"},
          "origin": {"promptId": "p-77", "promptSha256": "{{new string('a', 64)}}", "requestedBy": "user:bob@corp.example"},
          "maxDelegationDepth": 2,
          "mayAct": ["{{agent[..(agent.IndexOf('/', "spiffe://".Length) + 1)]}}agents/"]
        }
        """;

    public static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    public static Task<HttpResponseMessage> CreateTaskAsync(this HttpClient client, string body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/tasks") { Content = Json(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return client.SendAsync(request);
    }

    public static async Task<(string TaskId, string Token, string Jti)> CreateTaskOkAsync(this HttpClient client, string agent, int ttlSeconds = 600, string destination = "postgres://payments")
    {
        var response = await client.CreateTaskAsync(TaskBody(agent, ttlSeconds, destination: destination));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /v1/tasks answered {(int)response.StatusCode}: {body}");
        }

        var json = JsonNode.Parse(body)!;
        return ((string)json["taskId"]!, (string)json["token"]!, (string)json["jti"]!);
    }

    public static Task<HttpResponseMessage> ChangeStateAsync(this HttpClient client, string taskId, string state, string? reason = null) =>
        client.PostAsync($"/v1/tasks/{taskId}/state", Json(reason is null ? $$"""{"state":"{{state}}"}""" : $$"""{"state":"{{state}}","reason":"{{reason}}"}"""));

    public static Task<HttpResponseMessage> ContinueAsync(this HttpClient client, string taskId, long extendSeconds, string reason) =>
        client.PostAsync($"/v1/tasks/{taskId}/continuation", Json(new JsonObject { ["extendSeconds"] = extendSeconds, ["reason"] = reason }.ToJsonString()));

    public static Task<HttpResponseMessage> IntrospectAsync(this HttpClient client, string token) =>
        client.PostAsync("/oauth2/introspect", new FormUrlEncodedContent([new("token", token)]));

    public static async Task<JsonObject> IntrospectJsonAsync(this HttpClient client, string token)
    {
        var response = await client.IntrospectAsync(token);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public static Task<HttpResponseMessage> RevokeAsync(this HttpClient client, string token) =>
        client.PostAsync("/oauth2/revoke", new FormUrlEncodedContent([new("token", token)]));

    public const string TokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
    public const string JwtType = "urn:ietf:params:oauth:token-type:jwt";
    public const string TaskType = "urn:credentialbroker:token-type:task";
    public const string SecretType = "urn:credentialbroker:token-type:secret";

    /// <summary>Posts a token exchange with exactly the given parameters (repeats allowed, for the tests that need them).</summary>
    public static Task<HttpResponseMessage> TokenAsync(this HttpClient client, params (string Name, string Value)[] parameters) =>
        client.PostAsync("/oauth2/token", new FormUrlEncodedContent(parameters.Select(p => new KeyValuePair<string, string>(p.Name, p.Value))));

    /// <summary>Posts a token exchange with a <c>DPoP</c> header (none when <paramref name="proof"/> is null).</summary>
    public static Task<HttpResponseMessage> TokenWithProofAsync(this HttpClient client, string? proof, params (string Name, string Value)[] parameters)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent(parameters.Select(p => new KeyValuePair<string, string>(p.Name, p.Value))),
        };
        if (proof is not null)
        {
            request.Headers.TryAddWithoutValidation("DPoP", proof);
        }

        return client.SendAsync(request);
    }

    /// <summary>Exchanges <paramref name="subjectToken"/> for an access token to postgres://payments with a <c>DPoP</c> header.</summary>
    public static Task<HttpResponseMessage> AccessTokenWithProofAsync(this HttpClient client, string subjectToken, string? proof) =>
        client.TokenWithProofAsync(proof, ("grant_type", TokenExchange), ("subject_token", subjectToken), ("subject_token_type", JwtType), ("resource", "postgres://payments"));

    /// <summary>Revokes <paramref name="token"/> with a <c>DPoP</c> header.</summary>
    public static Task<HttpResponseMessage> RevokeWithProofAsync(this HttpClient client, string token, string proof)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/revoke") { Content = new FormUrlEncodedContent([new("token", token)]) };
        request.Headers.TryAddWithoutValidation("DPoP", proof);
        return client.SendAsync(request);
    }

    /// <summary>Exchanges <paramref name="subjectToken"/> for an access token to <paramref name="resource"/>.</summary>
    public static Task<HttpResponseMessage> AccessTokenAsync(this HttpClient client, string subjectToken, string resource = "postgres://payments", string? scope = null) =>
        client.TokenAsync([("grant_type", TokenExchange), ("subject_token", subjectToken), ("subject_token_type", JwtType), ("resource", resource),
            .. scope is null ? Array.Empty<(string, string)>() : [("scope", scope)]]);

    /// <summary>Exchanges <paramref name="subjectToken"/> for a downstream secret of <paramref name="resource"/>.</summary>
    public static Task<HttpResponseMessage> SecretAsync(this HttpClient client, string subjectToken, string resource) =>
        client.TokenAsync(("grant_type", TokenExchange), ("subject_token", subjectToken), ("subject_token_type", JwtType),
            ("requested_token_type", SecretType), ("resource", resource));

    public const string SpiffeIdType = "urn:credentialbroker:token-type:spiffe-id";

    /// <summary>Delegates <paramref name="subjectToken"/> to the workload <paramref name="actorId"/>, named by its SPIFFE ID.</summary>
    public static Task<HttpResponseMessage> DelegateAsync(this HttpClient client, string subjectToken, string actorId) =>
        client.TokenAsync(("grant_type", TokenExchange), ("subject_token", subjectToken), ("subject_token_type", JwtType),
            ("requested_token_type", TaskType), ("actor_token", actorId), ("actor_token_type", SpiffeIdType));

    /// <summary>Delegates <paramref name="subjectToken"/> with <paramref name="actorSvid"/>, a JWT-SVID of the sub-agent, as actor token.</summary>
    public static Task<HttpResponseMessage> DelegateWithSvidAsync(this HttpClient client, string subjectToken, string actorSvid) =>
        client.TokenAsync(("grant_type", TokenExchange), ("subject_token", subjectToken), ("subject_token_type", JwtType),
            ("requested_token_type", TaskType), ("actor_token", actorSvid), ("actor_token_type", JwtType));

    public static async Task<JsonObject> JsonAsync(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
}
