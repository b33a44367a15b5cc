using System.Buffers.Text;
using System.Text.Json;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Issuance;
using CredentialBroker.Core.Tasks;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CredentialBroker.Core.Tokens;

/// <summary>
/// Reads back the structured claims of a token the broker signed (after <see cref="BrokerTokenValidator"/>
/// verified it): its grants and its actor chain. Tokens the broker signs are facts it recorded; nothing here
/// is ever read from an unverified token.
/// </summary>
public static class BrokerTokenClaims
{
    /// <summary>The deepest actor chain the broker reads; its own tokens never come near it.</summary>
    public const int MaxActors = 32;

    /// <summary>The grants in the token's <c>authorization_details</c> (a transaction token's <c>tctx.authorization_details</c>).</summary>
    public static IReadOnlyList<AuthorizationGrant> Grants(JsonWebToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        using var payload = Payload(token);
        var holder = payload.RootElement;
        if (string.Equals(token.Typ, TokenTypes.TxnToken, StringComparison.OrdinalIgnoreCase)
            && (!holder.TryGetProperty("tctx", out holder) || holder.ValueKind != JsonValueKind.Object))
        {
            return [];
        }

        if (!holder.TryGetProperty("authorization_details", out var details) || details.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var grants = new List<AuthorizationGrant>();
        foreach (var detail in details.EnumerateArray())
        {
            if (detail.GetProperty("type").GetString() != TokenFactory.AuthorizationDetailType)
            {
                continue;
            }

            grants.Add(new AuthorizationGrant(
                detail.GetProperty("identifier").GetString()!,
                detail.GetProperty("locations")[0].GetString()!,
                [.. detail.GetProperty("actions").EnumerateArray().Select(a => a.GetString()!)],
                detail.TryGetProperty("datatypes", out var datatypes) ? datatypes[0].GetString() : null));
        }

        return grants;
    }

    /// <summary>The actors of the token's <c>act</c> chain, current actor first; empty when the token was not delegated.</summary>
    public static IReadOnlyList<string> Actors(JsonWebToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        using var payload = Payload(token);
        var actors = new List<string>();
        var node = payload.RootElement;
        while (node.TryGetProperty("act", out var act) && act.ValueKind == JsonValueKind.Object && actors.Count < MaxActors)
        {
            actors.Add(act.GetProperty("sub").GetString()!);
            node = act;
        }

        return actors;
    }

    /// <summary>
    /// What a transaction token says of the workloads that requested it (<c>req_wl</c>, first to last) and of how the first
    /// of them authenticated (<c>rctx.authn</c>): the call chain a replacement keeps.
    /// </summary>
    internal static (IReadOnlyList<string> Requesters, string Authn) TransactionChain(JsonWebToken token)
    {
        using var payload = Payload(token);
        var root = payload.RootElement;
        var requesters = root.GetProperty("req_wl").GetString()!.Split(", ");
        return (requesters, root.GetProperty("rctx").GetProperty("authn").GetString()!);
    }

    /// <summary>The decoded payload of a token, to copy its claims (introspection).</summary>
    public static JsonDocument Payload(JsonWebToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return JsonDocument.Parse(Base64Url.DecodeFromChars(token.EncodedPayload));
    }
}
