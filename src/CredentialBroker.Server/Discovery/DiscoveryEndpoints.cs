using System.Text.Json;
using CredentialBroker.Abstractions;
using CredentialBroker.Core;
using CredentialBroker.Core.Exchange;
using CredentialBroker.Core.Tokens;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Discovery;

/// <summary>RFC 8414 metadata (also served as <c>openid-configuration</c>) and the JWKS with public keys only.</summary>
internal static class DiscoveryEndpoints
{
    public static void MapDiscoveryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/.well-known/oauth-authorization-server", Metadata).AllowAnonymous();
        app.MapGet("/.well-known/openid-configuration", Metadata).AllowAnonymous();
        app.MapGet("/.well-known/jwks.json", Jwks).AllowAnonymous();
    }

    private static JsonWriterResult Metadata(IOptions<CredentialBrokerOptions> options) => new JsonWriterResult(json =>
    {
        var issuer = options.Value.Issuer!;
        string[] authMethods = ["private_key_jwt"];
        json.WriteString("issuer", issuer);
        json.WriteString("jwks_uri", issuer + "/.well-known/jwks.json");
        json.WriteString("token_endpoint", issuer + "/oauth2/token");
        json.WriteString("introspection_endpoint", issuer + "/oauth2/introspect");
        json.WriteString("revocation_endpoint", issuer + "/oauth2/revoke");
        json.WriteString("revocation_feed_endpoint", issuer + "/v1/revocations/feed"); // extension: where resource servers follow revocations
        json.WriteString("status_list_aggregation_endpoint", issuer + StatusLists.Path); // draft-ietf-oauth-status-list §9.1: every token carries status.status_list
        WriteArray(json, "grant_types_supported", [TokenTypeUris.TokenExchangeGrant]);
        WriteArray(json, "response_types_supported", []);
        WriteArray(json, "token_endpoint_auth_methods_supported", authMethods);
        WriteArray(json, "token_endpoint_auth_signing_alg_values_supported", options.Value.EffectiveAlgorithms);
        WriteArray(json, "introspection_endpoint_auth_methods_supported", authMethods);
        WriteArray(json, "revocation_endpoint_auth_methods_supported", authMethods);
        WriteArray(json, "introspection_endpoint_auth_signing_alg_values_supported", options.Value.EffectiveAlgorithms);
        WriteArray(json, "revocation_endpoint_auth_signing_alg_values_supported", options.Value.EffectiveAlgorithms);

        // Proof of possession: DPoP (RFC 9449 §5.1) always; certificate-bound access tokens (RFC 8705 §3.3) where callers can use mutual TLS.
        WriteArray(json, "dpop_signing_alg_values_supported", options.Value.Dpop.EffectiveAlgorithms);
        json.WriteBoolean("tls_client_certificate_bound_access_tokens", options.Value.X509Bundles.Count > 0);

        // Extensions: what requested_token_type may ask for, and the trust domain (the audience) of transaction tokens
        // (draft-ietf-oauth-transaction-tokens-10), so a workload learns both from the one trusted document.
        WriteArray(json, "requested_token_types_supported", [TokenTypeUris.AccessToken, TokenTypeUris.Task, TokenTypeUris.Secret, TokenTypeUris.TxnToken]);
        json.WriteString("transaction_token_audience", options.Value.EffectiveTrustDomain);
    }, cacheControl: "public, max-age=300");

    private static JsonWriterResult Jwks(SigningKeyRing keys, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time) => new JsonWriterResult(json =>
    {
        json.WriteStartArray("keys");
        foreach (var key in keys.PublishedAt(time.GetUtcNow()))
        {
            json.WriteStartObject();
            json.WriteString("kty", key.Kty);
            json.WriteString("crv", key.Crv);
            json.WriteString("x", key.X);
            json.WriteString("y", key.Y);
            json.WriteString("kid", key.Kid);
            json.WriteString("alg", key.Alg);
            json.WriteString("use", key.Use);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }, cacheControl: "public, max-age=60");

    private static void WriteArray(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }
}
