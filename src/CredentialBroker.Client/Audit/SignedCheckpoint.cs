using System.Text.Json.Serialization;

namespace CredentialBroker.Client.Audit;

/// <summary>A signed checkpoint of the boundary log (<c>GET /v1/audit/checkpoints</c>): every chain's head at one moment, to anchor elsewhere.</summary>
public sealed class SignedCheckpoint
{
    /// <summary>Its number, from 1.</summary>
    public long Seq { get; init; }

    /// <summary>Each chain's head when it was taken, by chain number.</summary>
    public IReadOnlyDictionary<int, ChainHead> Heads { get; init; } = new Dictionary<int, ChainHead>();

    /// <summary>When it was taken.</summary>
    [JsonConverter(typeof(UnixTimeConverter))]
    public DateTimeOffset Time { get; init; }

    /// <summary>The compact JWS over it, by a key in the broker's JWKS.</summary>
    public string Jws { get; init; } = string.Empty;

    /// <inheritdoc />
    public override string ToString() => $"checkpoint {Seq} at {Time:O}: {string.Join(", ", Heads.Select(h => $"chain {h.Key} at {h.Value.Seq}"))}";
}
