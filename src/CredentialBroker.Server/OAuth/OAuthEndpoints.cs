using System.Text.Json;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Core.Exchange;
using CredentialBroker.Core.Introspection;
using CredentialBroker.Core.Revocation;
using CredentialBroker.Core.Tokens;
using CredentialBroker.Revoker;
using CredentialBroker.Server.Identity;
using CredentialBroker.Server.Problems;
using CredentialBroker.Server.RateLimiting;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CredentialBroker.Server.OAuth;

/// <summary>The OAuth endpoints: introspection (RFC 7662), revocation (RFC 7009) and the token endpoint (RFC 6749 / 8693).</summary>
internal static class OAuthEndpoints
{
    public static void MapOAuthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/oauth2/introspect", IntrospectAsync).RequireAuthorization(BrokerPolicies.Authenticated).RequireRateLimiting(BrokerRateLimits.Introspection);
        app.MapPost("/oauth2/revoke", RevokeAsync).RequireAuthorization(BrokerPolicies.Authenticated).RequireRateLimiting(BrokerRateLimits.Revocation);
        app.MapPost("/oauth2/token", TokenAsync).RequireAuthorization(BrokerPolicies.Authenticated).RequireRateLimiting(BrokerRateLimits.Exchange);
    }

    private static async Task<IResult> IntrospectAsync(HttpContext http, IntrospectionService introspection)
    {
        var (form, error) = await OAuthForm.ReadAsync(http.Request);
        var caller = http.Caller();
        if (error is not null)
        {
            return error;
        }

        if (!form!.TryGetValue("token", out var token) || string.IsNullOrEmpty(token))
        {
            return OAuthErrors.InvalidRequest(ErrorCodes.ParameterMissing, "The 'token' parameter is required.");
        }

        var active = await introspection.IntrospectAsync(caller, token, http.RequestAborted);
        return new JsonWriterResult(json =>
        {
            // RFC 7662 §2.2: the token's claims with "active": true, or exactly {"active": false}.
            json.WriteBoolean("active", active is not null);
            if (active is not null)
            {
                json.WriteString("token_type", active.Typ);
                using var payload = BrokerTokenClaims.Payload(active);
                foreach (var claim in payload.RootElement.EnumerateObject())
                {
                    claim.WriteTo(json);
                }
            }
        });
    }

    private static async Task<IResult> RevokeAsync(HttpContext http, RevocationService revocation)
    {
        var (form, error) = await OAuthForm.ReadAsync(http.Request);
        var caller = http.Caller();
        if (error is not null)
        {
            return error;
        }

        if (!form!.TryGetValue("token", out var token) || string.IsNullOrEmpty(token))
        {
            return OAuthErrors.InvalidRequest(ErrorCodes.ParameterMissing, "The 'token' parameter is required.");
        }

        // token_type_hint is only a hint (RFC 7009 §2.1): every supported type is searched regardless.
        http.Response.Headers.CacheControl = "no-store";
        var (proof, invalidProof) = await DpopHeader.ReadAsync(http, token);
        if (invalidProof is not null)
        {
            return invalidProof;
        }

        return await revocation.RevokeAsync(caller, token, proof, http.RequestAborted) switch
        {
            RevocationOutcome.Revoked => TypedResults.Ok(),
            RevocationOutcome.KeyNotProven => OAuthErrors.Error(StatusCodes.Status400BadRequest, "invalid_grant", ErrorCodes.KeyNotProven,
                "The token is bound to a key (cnf.jkt or cnf.x5t#S256): its holder revokes it with proof of that key, a DPoP proof or the bound client certificate."),
            RevocationOutcome.ProofNotCoveringToken => DpopHeader.InvalidProof(ErrorCodes.DpopProofInvalid,
                "The DPoP proof must carry ath, the hash of the key-bound token it is presented with."),
            _ => OAuthErrors.Error(StatusCodes.Status400BadRequest, "unauthorized_client", ErrorCodes.Forbidden, "This client may not revoke that token."),
        };
    }

    private static async Task<IResult> TokenAsync(HttpContext http, TokenExchangeService exchange)
    {
        var (form, error) = await OAuthForm.ReadAsync(http.Request);
        var caller = http.Caller();
        if (error is not null)
        {
            return error;
        }

        if (!form!.TryGetValue("grant_type", out var grantType) || string.IsNullOrEmpty(grantType))
        {
            return OAuthErrors.InvalidRequest(ErrorCodes.ParameterMissing, "The 'grant_type' parameter is required.");
        }

        if (grantType != TokenTypeUris.TokenExchangeGrant)
        {
            return OAuthErrors.Error(StatusCodes.Status400BadRequest, "unsupported_grant_type", ErrorCodes.GrantTypeUnsupported, $"This broker supports only {TokenTypeUris.TokenExchangeGrant}.");
        }

        var (request, invalid) = TokenExchangeForm.Parse(form);
        if (invalid is not null)
        {
            return invalid;
        }

        var (proof, invalidProof) = await DpopHeader.ReadAsync(http, request!.SubjectToken);
        if (invalidProof is not null)
        {
            return invalidProof;
        }

        var result = await exchange.ExchangeAsync(caller, request with { Dpop = proof }, http.RequestAborted);
        if (!result.Succeeded)
        {
            if (result.Error == ExchangeError.SlowDown)
            {
                return TooManyRequests.Result(http, result.RetryAfter, "for this task");
            }

            if (result.Error == ExchangeError.TemporarilyUnavailable)
            {
                http.Response.Headers.RetryAfter = StoreUnavailableExceptionHandler.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return OAuthErrors.Error(result.Error == ExchangeError.TemporarilyUnavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status400BadRequest,
                TokenExchangeForm.ErrorCode(result.Error.Value), result.Code, result.Description);
        }

        await DpopHeader.OfferNonceAsync(http);
        return new JsonWriterResult(json =>
        {
            json.WriteString("access_token", result.Token);
            json.WriteString("issued_token_type", result.IssuedTokenType);
            json.WriteString("token_type", result.TokenType);
            json.WriteNumber("expires_in", result.ExpiresIn);
            json.WriteString("scope", result.Scope);
            if (result.Secret is { } secret)
            {
                json.WriteStartObject("secret");
                foreach (var (name, value) in secret)
                {
                    WriteValue(json, name, value);
                }

                json.WriteEndObject();
            }
        });
    }

    /// <summary>A member of a secret's description: a string, a number, a list of strings or a map of strings.</summary>
    private static void WriteValue(Utf8JsonWriter json, string name, object value)
    {
        switch (value)
        {
            case string text:
                json.WriteString(name, text);
                break;
            case int or long:
                json.WriteNumber(name, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case IReadOnlyDictionary<string, string> map:
                json.WriteStartObject(name);
                foreach (var (key, item) in map)
                {
                    json.WriteString(key, item);
                }

                json.WriteEndObject();
                break;
            case IEnumerable<string> items:
                json.WriteStartArray(name);
                foreach (var item in items)
                {
                    json.WriteStringValue(item);
                }

                json.WriteEndArray();
                break;
            default:
                json.WriteString(name, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }
}
