using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Client.ResourceServers;

/// <summary>
/// What a signature-valid broker access token must still pass: the exact issuer, the binding to the workload that
/// presents it (and to its client certificate or DPoP key when the token names one), and not being revoked — by the feed's deny list while the feed is current, by introspection
/// otherwise. Fails closed: a token whose status cannot be learnt is refused.
/// </summary>
internal sealed partial class BrokerTokenChecks(
    string scheme,
    RevocationFeedFollower feed,
    StatusListCache statusLists,
    IOptionsMonitor<BrokerTokenOptions> options,
    IOptionsMonitor<JwtBearerOptions> jwtOptions,
    IHttpClientFactory http,
    ClientMetrics metrics,
    DpopProofCheck dpop,
    ILogger<BrokerTokenChecks> logger,
    bool transaction)
{
    /// <summary>The <c>Authorization</c> scheme of a DPoP-bound token (RFC 9449 §7.1).</summary>
    public const string DpopScheme = "DPoP";

    // HttpContext.Items marks: the token came as "Authorization: DPoP", and a DPoP proof was refused.
    private static readonly object PresentedAsDpop = new();
    private static readonly object DpopRefused = new();
    private static readonly object DpopNonceRequired = new();

    /// <summary>Reads a token sent as <c>Authorization: DPoP &lt;token&gt;</c> (JwtBearer itself reads only <c>Bearer</c>).</summary>
    public static Task OnMessageReceivedAsync(MessageReceivedContext context)
    {
        var authorization = context.Request.Headers.Authorization;
        if (authorization.Count == 1 && authorization[0] is { } value
            && value.StartsWith(DpopScheme + " ", StringComparison.OrdinalIgnoreCase))
        {
            context.Token = value[(DpopScheme.Length + 1)..].Trim();
            context.HttpContext.Items[PresentedAsDpop] = true;
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Reads a transaction token from the <c>Txn-Token</c> header, which must hold exactly one (draft-ietf-oauth-transaction-tokens-10
    /// §10.1); without the header the scheme has no result, and it never looks at <c>Authorization</c>.
    /// </summary>
    public static Task OnTransactionTokenReceivedAsync(MessageReceivedContext context)
    {
        var values = context.Request.Headers[BrokerAuthenticationExtensions.TransactionTokenHeader];
        if (values.Count == 0)
        {
            context.NoResult();
        }
        else if (values.Count > 1 || string.IsNullOrWhiteSpace(values[0]) || values[0]!.Contains(',', StringComparison.Ordinal))
        {
            context.Fail(new BrokerTokenRefusedException("The Txn-Token header must hold exactly one transaction token."));
        }
        else
        {
            context.Token = values[0]!.Trim();
        }

        return Task.CompletedTask;
    }

    public async Task OnTokenValidatedAsync(TokenValidatedContext context)
    {
        var settings = options.Get(scheme);
        if (context.SecurityToken is not JsonWebToken token || string.IsNullOrEmpty(token.Id) || !string.Equals(token.Issuer, settings.Issuer, StringComparison.Ordinal))
        {
            Refuse(context, "unbound", "none", null, transaction
                ? "The token is not a broker transaction token of the configured issuer."
                : "The token is not a broker access token of the configured issuer.");
            return;
        }

        // A transaction token names no holder (it travels down its call chain); an access token is checked against its presenter.
        if (!transaction && await UnboundAsync(token, context, settings).ConfigureAwait(false) is { } binding)
        {
            Refuse(context, "unbound", "none", token.Id, binding);
            return;
        }

        if (settings.RevocationCheck == BrokerRevocationCheck.StatusList)
        {
            await CheckStatusListAsync(token, context).ConfigureAwait(false);
            return;
        }

        if (feed.DenyList.Contains(token.Id))
        {
            Refuse(context, "revoked", "feed", token.Id, "The token is revoked.");
            return;
        }

        if (feed.IsCurrent)
        {
            metrics.Checked("accepted", "feed");
            return;
        }

        switch (await IntrospectAsync(token.EncodedToken, settings, context.HttpContext.RequestAborted))
        {
            case true:
                metrics.Checked("accepted", "introspection");
                break;
            case false:
                feed.DenyList.Add(token.Id, token.ValidTo);
                Refuse(context, "revoked", "introspection", token.Id, "The token is revoked.");
                break;
            default:
                Refuse(context, "unverified", "introspection", token.Id, "The token's revocation status cannot be checked right now.");
                break;
        }
    }

    // Confirmation (RFC 7800): the broker binds every token to its holder's SPIFFE ID, and some to a client
    // certificate (RFC 8705, cnf.x5t#S256) or a DPoP key (RFC 9449, cnf.jkt) as well.
    private async Task<string?> UnboundAsync(JsonWebToken token, TokenValidatedContext context, BrokerTokenOptions settings)
    {
        if (!token.TryGetPayloadValue<JsonElement>("cnf", out var cnf) || cnf.ValueKind != JsonValueKind.Object
            || !cnf.TryGetProperty("spiffe_id", out var holder) || holder.ValueKind != JsonValueKind.String)
        {
            return "The token is not bound to a workload.";
        }

        var asDpop = context.HttpContext.Items.ContainsKey(PresentedAsDpop);
        if (cnf.TryGetProperty("jkt", out var jkt))
        {
            if (!asDpop)
            {
                return "The token is bound to a DPoP key (cnf.jkt): present it as 'Authorization: DPoP' with a DPoP proof, never as a bearer token.";
            }

            var refused = jkt.ValueKind != JsonValueKind.String
                ? "The token's cnf.jkt is not a thumbprint."
                : await dpop.CheckAsync(context.Request, token.EncodedToken, jkt.GetString()!, settings).ConfigureAwait(false);
            if (settings.RequireDpopNonce)
            {
                // Accepted or not, the answer tells the client the nonce for its next proof (RFC 9449 §8.2, §9).
                context.Response.Headers[DpopProofCheck.NonceHeaderName] = dpop.CurrentNonce(settings);
            }

            if (refused is not null)
            {
                context.HttpContext.Items[DpopRefused] = true;
                if (ReferenceEquals(refused, DpopProofCheck.NonceRequired))
                {
                    context.HttpContext.Items[DpopNonceRequired] = true;
                }

                return refused;
            }
        }
        else if (asDpop)
        {
            return "The token is not bound to a DPoP key; present it as a bearer token.";
        }

        var presenter = settings.PresenterId(context.HttpContext);
        if (presenter is null || !string.Equals(presenter, holder.GetString(), StringComparison.Ordinal))
        {
            return "The token is bound to another workload than the one presenting it.";
        }

        if (cnf.TryGetProperty("x5t#S256", out var thumbprint))
        {
            var certificate = context.HttpContext.Connection.ClientCertificate;
            if (certificate is null || thumbprint.ValueKind != JsonValueKind.String
                || !string.Equals(Base64UrlEncoder.Encode(SHA256.HashData(certificate.RawData)), thumbprint.GetString(), StringComparison.Ordinal))
            {
                return "The token is bound to another client certificate.";
            }
        }

        return null;
    }

    // draft-ietf-oauth-status-list §8.3: the token's status_list names the list and its index there.
    private async Task CheckStatusListAsync(JsonWebToken token, TokenValidatedContext context)
    {
        if (!token.TryGetPayloadValue<JsonElement>("status", out var status) || status.ValueKind != JsonValueKind.Object
            || !status.TryGetProperty("status_list", out var list) || list.ValueKind != JsonValueKind.Object
            || !list.TryGetProperty("idx", out var idx) || !idx.TryGetInt32(out var index)
            || !list.TryGetProperty("uri", out var uri) || uri.ValueKind != JsonValueKind.String)
        {
            Refuse(context, "unverified", "status_list", token.Id, "The token names no status list.");
            return;
        }

        switch (await statusLists.StatusAsync(uri.GetString()!, index, context.HttpContext.RequestAborted).ConfigureAwait(false))
        {
            case 0:
                metrics.Checked("accepted", "status_list");
                break;
            case 1:
                Refuse(context, "revoked", "status_list", token.Id, "The token is revoked.");
                break;
            default:
                Refuse(context, "unverified", "status_list", token.Id, "The token's status list cannot be fetched or verified right now.");
                break;
        }
    }

    // true: active; false: not active; null: could not tell.
    private async Task<bool?> IntrospectAsync(string token, BrokerTokenOptions settings, CancellationToken cancellationToken)
    {
        try
        {
            var metadata = await jwtOptions.Get(scheme).ConfigurationManager!.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
            using var request = new HttpRequestMessage(HttpMethod.Post, BrokerMetadata.Endpoint(metadata, BrokerMetadata.IntrospectionEndpoint, settings.RequireHttps))
            {
                // token_type_hint has no registered value for transaction tokens (RFC 7662 §2.1: it is only a hint), so none is sent.
                Content = new FormUrlEncodedContent(transaction ? [new("token", token)] : [new("token", token), new("token_type_hint", "access_token")]),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await settings.CallerToken!(cancellationToken).ConfigureAwait(false));
            using var client = http.CreateClient(BrokerAuthenticationExtensions.HttpClientName);
            using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                LogIntrospectionRefused(logger, scheme, (int)response.StatusCode);
                return null;
            }

            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
            return body.RootElement.TryGetProperty("active", out var active) && active.ValueKind == JsonValueKind.True;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or InvalidOperationException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogIntrospectionFailed(logger, ex, scheme);
            return null;
        }
    }

    private void Refuse(TokenValidatedContext context, string outcome, string via, string? jti, string reason)
    {
        metrics.Checked(outcome, via);
        LogRefused(logger, scheme, jti, reason);
        context.Fail(new BrokerTokenRefusedException(reason));
    }

    /// <summary>
    /// Puts the reason a token was refused into the RFC 6750 challenge (JwtBearer describes only its own failures); a
    /// request that presented a DPoP token is answered with a DPoP challenge (RFC 9449 §7.1): <c>invalid_dpop_proof</c>
    /// when its proof was refused, <c>invalid_token</c> otherwise. With <see cref="BrokerTokenOptions.AdvertiseResourceMetadata"/>,
    /// that challenge names the resource's metadata too, as the Bearer one does (RFC 9728 §5.1).
    /// </summary>
    public Task OnChallengeAsync(JwtBearerChallengeContext context)
    {
        if (context.AuthenticateFailure is BrokerTokenRefusedException refused)
        {
            context.ErrorDescription = refused.Message;
        }
        else if (context.AuthenticateFailure is SecurityTokenInvalidAudienceException)
        {
            // JwtBearer's own text names the token's audience, which this token handler does not report ("'(null)'").
            context.ErrorDescription = $"The token is not meant for this resource ({options.Get(scheme).Audience}).";
        }

        if (context.HttpContext.Items.ContainsKey(PresentedAsDpop))
        {
            var error = context.HttpContext.Items.ContainsKey(DpopNonceRequired) ? "use_dpop_nonce"
                : context.HttpContext.Items.ContainsKey(DpopRefused) ? "invalid_dpop_proof"
                : "invalid_token";
            var description = (context.ErrorDescription ?? "The token is not valid.").Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
            context.HandleResponse();
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            var settings = options.Get(scheme);
            var metadata = settings.AdvertiseResourceMetadata ? BrokerAuthenticationExtensions.ResourceMetadataParameter(settings) + ", " : string.Empty;
            context.Response.Headers.WWWAuthenticate = $"DPoP {metadata}error=\"{error}\", error_description=\"{description}\"";
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 3010, EventName = "TokenRefused", Level = LogLevel.Information,
        Message = "Scheme {Scheme} refused broker token {Jti}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string scheme, string? jti, string reason);

    [LoggerMessage(EventId = 3011, EventName = "IntrospectionRefused", Level = LogLevel.Warning,
        Message = "The broker answered {Status} to introspection for scheme {Scheme}; tokens are refused until the feed or introspection works")]
    private static partial void LogIntrospectionRefused(ILogger logger, string scheme, int status);

    [LoggerMessage(EventId = 3012, EventName = "IntrospectionFailed", Level = LogLevel.Warning,
        Message = "Introspection for scheme {Scheme} failed; tokens are refused until the feed or introspection works")]
    private static partial void LogIntrospectionFailed(ILogger logger, Exception exception, string scheme);
}
