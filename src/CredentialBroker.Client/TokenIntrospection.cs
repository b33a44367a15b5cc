using System.Text.Json;

namespace CredentialBroker.Client;

/// <summary>What the broker says of a token (RFC 7662): inactive, or active with its claims.</summary>
public sealed class TokenIntrospection
{
    internal TokenIntrospection(JsonElement root)
    {
        Claims = root.Clone();
        Active = root.TryGetProperty("active", out var active) && active.ValueKind == JsonValueKind.True;
    }

    /// <summary>Whether the token is active: valid, current and not revoked.</summary>
    public bool Active { get; }

    /// <summary>Every member of the answer (for an inactive token, only <c>active</c>).</summary>
    public JsonElement Claims { get; }

    /// <summary>The subject (<c>sub</c>): the task's agent.</summary>
    public string? Subject => String("sub");

    /// <summary>The credential's id (<c>jti</c>).</summary>
    public string? Jti => String("jti");

    /// <summary>The task (<c>task_id</c>).</summary>
    public string? TaskId => String("task_id");

    /// <summary>The token type: <c>task+jwt</c> or <c>at+jwt</c>.</summary>
    public string? TokenType => String("token_type");

    /// <summary>The workload the token is bound to (<c>cnf.spiffe_id</c>).</summary>
    public string? Holder =>
        Claims.TryGetProperty("cnf", out var cnf) && cnf.ValueKind == JsonValueKind.Object && cnf.TryGetProperty("spiffe_id", out var id) && id.ValueKind == JsonValueKind.String
            ? id.GetString()
            : null;

    /// <summary>When the token expires (<c>exp</c>).</summary>
    public DateTimeOffset? ExpiresAt => Claims.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;

    /// <inheritdoc />
    public override string ToString() => Active ? $"active {TokenType} {Jti} of task {TaskId}, held by {Holder}" : "inactive";

    private string? String(string name) => Claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
