using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Testing;

/// <summary>Reads the header and payload of a compact JWT, for assertions.</summary>
public static class JwtParts
{
    /// <summary>The decoded header.</summary>
    public static JsonObject Header(string token) => Decode(token.Split('.')[0]);

    /// <summary>The decoded payload.</summary>
    public static JsonObject Payload(string token) => Decode(token.Split('.')[1]);

    private static JsonObject Decode(string segment) =>
        JsonNode.Parse(Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(segment)))!.AsObject();
}
