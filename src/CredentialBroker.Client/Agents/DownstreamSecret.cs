using System.Text.Json;

namespace CredentialBroker.Client.Agents;

/// <summary>
/// A downstream secret minted for the task: a PostgreSQL login, a Redis ACL user or a Vault lease. It is destroyed at
/// the backend when its task ends, it expires, or anything revokes its subject token. <see cref="ToString"/> never
/// shows the password.
/// </summary>
public sealed class DownstreamSecret
{
    internal DownstreamSecret(JsonElement secret, string password)
    {
        Kind = String(secret, "kind") ?? string.Empty;
        Id = String(secret, "id") ?? string.Empty;
        Resource = String(secret, "resource") ?? string.Empty;
        Host = String(secret, "host");
        Port = secret.TryGetProperty("port", out var port) && port.TryGetInt32(out var p) ? p : null;
        Database = String(secret, "database");
        Username = String(secret, "username");
        Password = String(secret, "password") ?? password;
        Endpoints = secret.TryGetProperty("endpoints", out var endpoints) && endpoints.ValueKind == JsonValueKind.Array
            ? [.. endpoints.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)]
            : [];
        LeaseId = String(secret, "leaseId");
        Data = secret.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object ? data.Clone() : null;
        ExpiresAt = secret.TryGetProperty("expiresAt", out var expires) && expires.TryGetDateTimeOffset(out var at) ? at : DateTimeOffset.MinValue;
    }

    /// <summary><c>postgresql</c>, <c>redis</c> or <c>vault</c>.</summary>
    public string Kind { get; }

    /// <summary>The id of the secret's record at the broker (a <c>jti</c>; the task lists it).</summary>
    public string Id { get; }

    /// <summary>The resource it is for, e.g. <c>postgres://payments</c>.</summary>
    public string Resource { get; }

    /// <summary>PostgreSQL: the host.</summary>
    public string? Host { get; }

    /// <summary>PostgreSQL: the port.</summary>
    public int? Port { get; }

    /// <summary>PostgreSQL: the database.</summary>
    public string? Database { get; }

    /// <summary>PostgreSQL and Redis: the login.</summary>
    public string? Username { get; }

    /// <summary>The password (Vault: the lease's secret). Never log it.</summary>
    public string Password { get; }

    /// <summary>Redis: <c>host:port</c> of every primary.</summary>
    public IReadOnlyList<string> Endpoints { get; }

    /// <summary>Vault: the lease.</summary>
    public string? LeaseId { get; }

    /// <summary>Vault: the secrets engine's answer.</summary>
    public JsonElement? Data { get; }

    /// <summary>When the broker destroys it at the latest.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Kind} secret {Id} for {Resource}{(Username is null ? string.Empty : ": login " + Username)}, expires {ExpiresAt:O}";

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
