using System.Buffers;
using System.Text;
using System.Text.Json;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Core.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Core.Audit;

/// <summary>
/// Signs and checks checkpoints: a compact JWS (<c>typ: audit-checkpoint+jwt</c>, ES256, by the broker's current signing
/// key, whose public half is in <c>/.well-known/jwks.json</c>) over <c>{iss, iat, checkpoint, heads: [{chain, seq, hash}]}</c>.
/// </summary>
public sealed class AuditCheckpointSigner
{
    /// <summary>The JWS <c>typ</c> of a checkpoint.</summary>
    public const string Type = "audit-checkpoint+jwt";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly SigningKeyRing _keys;
    private readonly string _issuer;
    private readonly TimeProvider _time;

    /// <summary>Creates the signer.</summary>
    public AuditCheckpointSigner(SigningKeyRing keys, IOptions<CredentialBrokerOptions> options, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = keys;
        _issuer = options.Value.Issuer ?? "credentialbroker";
        _time = time;
    }

    /// <summary>Signs checkpoint <paramref name="seq"/> of <paramref name="heads"/>, taken at <paramref name="at"/>.</summary>
    public AuditCheckpoint Sign(long seq, IReadOnlyList<AuditHead> heads, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(heads);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("iss", _issuer);
            json.WriteNumber("iat", at.ToUnixTimeSeconds());
            json.WriteNumber("checkpoint", seq);
            json.WriteStartArray("heads");
            foreach (var head in heads)
            {
                json.WriteStartObject();
                json.WriteNumber("chain", head.Chain);
                json.WriteNumber("seq", head.Seq);
                json.WriteString("hash", head.Hash);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        var jws = Handler.CreateToken(Encoding.UTF8.GetString(buffer.WrittenSpan), _keys.ActiveAt(_time.GetUtcNow()).Credentials,
            new Dictionary<string, object>(StringComparer.Ordinal) { ["typ"] = Type });
        return new AuditCheckpoint(seq, heads, at, jws);
    }

    /// <summary>
    /// Whether <paramref name="checkpoint"/>'s JWS verifies with a key of the broker's ring — published now, or retired but
    /// still configured, since checkpoints outlive the tokens a key signed — and says exactly what the checkpoint's fields
    /// say (its number and heads). Its <c>iss</c> is not checked: the log outlives an <c>Issuer</c> change (a move to
    /// HTTPS, a new host name), and what makes a checkpoint the broker's is its key, not the name it went by.
    /// </summary>
    public async ValueTask<bool> VerifyAsync(AuditCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var result = await Handler.ValidateTokenAsync(checkpoint.Jws, new TokenValidationParameters
        {
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
            ValidTypes = [Type],
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            IssuerSigningKeyResolver = (_, _, kid, _) => _keys.FindConfiguredKey(kid) is { } key ? [key] : [],
        });
        if (!result.IsValid || result.SecurityToken is not JsonWebToken token
            || !token.TryGetPayloadValue<long>("checkpoint", out var seq) || seq != checkpoint.Seq
            || !token.TryGetPayloadValue<JsonElement>("heads", out var heads) || heads.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        var signed = heads.EnumerateArray().Select(h => new AuditHead(h.GetProperty("chain").GetInt32(), h.GetProperty("seq").GetInt64(), h.GetProperty("hash").GetString()!)).ToList();
        return signed.SequenceEqual(checkpoint.Heads);
    }
}
