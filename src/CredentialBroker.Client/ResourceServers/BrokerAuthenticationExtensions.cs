using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Client.ResourceServers;

/// <summary>Registers CredentialBroker access-token authentication on a resource server.</summary>
public static class BrokerAuthenticationExtensions
{
    /// <summary>The default authentication scheme name.</summary>
    public const string DefaultScheme = "CredentialBroker";

    /// <summary>
    /// The <see cref="IHttpClientFactory"/> client used for discovery, JWKS, the feed and introspection; configure it
    /// (<c>services.AddHttpClient(HttpClientName)…</c>) for proxies, TLS client certificates or tests.
    /// </summary>
    public const string HttpClientName = "CredentialBroker.Client";

    /// <summary>The only token type accepted (RFC 9068).</summary>
    public const string AccessTokenType = "at+jwt";

    /// <summary>The default name of the transaction-token scheme (<see cref="AddCredentialBrokerTransactionTokens(AuthenticationBuilder, string, Action{BrokerTokenOptions})"/>).</summary>
    public const string TransactionTokenScheme = "CredentialBroker.TxnToken";

    /// <summary>The only token type the transaction-token scheme accepts (draft-ietf-oauth-transaction-tokens-10 §7.1).</summary>
    public const string TransactionTokenType = "txntoken+jwt";

    /// <summary>The HTTP header a transaction token travels in (draft-ietf-oauth-transaction-tokens-10 §10.1).</summary>
    public const string TransactionTokenHeader = "Txn-Token";

    /// <summary>Adds the scheme <see cref="DefaultScheme"/>; see <see cref="AddCredentialBroker(AuthenticationBuilder, string, Action{BrokerTokenOptions})"/>.</summary>
    public static AuthenticationBuilder AddCredentialBroker(this AuthenticationBuilder builder, Action<BrokerTokenOptions> configure) =>
        builder.AddCredentialBroker(DefaultScheme, configure);

    /// <summary>
    /// Adds a JwtBearer scheme that accepts only broker access tokens: signed ES256 with a key from the broker's JWKS
    /// (found through its discovery document), <c>typ</c> <c>at+jwt</c>, exactly the configured <c>iss</c> and
    /// <c>aud</c>, bound to the workload presenting it (and to its client certificate, or — presented as
    /// <c>Authorization: DPoP</c> with a valid DPoP proof — to its DPoP key, when the token names one), and not revoked. Revocations arrive through the broker's
    /// revocation feed, followed in the background; while the feed is not current, each token is introspected. With
    /// <see cref="BrokerTokenOptions.RevocationCheck"/> set to <see cref="BrokerRevocationCheck.StatusList"/>, each token's
    /// Token Status List is read instead.
    /// </summary>
    public static AuthenticationBuilder AddCredentialBroker(this AuthenticationBuilder builder, string scheme, Action<BrokerTokenOptions> configure) =>
        Add(builder, scheme, configure, transaction: false);

    /// <summary>Adds the scheme <see cref="TransactionTokenScheme"/>; see <see cref="AddCredentialBrokerTransactionTokens(AuthenticationBuilder, string, Action{BrokerTokenOptions})"/>.</summary>
    public static AuthenticationBuilder AddCredentialBrokerTransactionTokens(this AuthenticationBuilder builder, Action<BrokerTokenOptions> configure) =>
        builder.AddCredentialBrokerTransactionTokens(TransactionTokenScheme, configure);

    /// <summary>
    /// Adds a JwtBearer scheme that reads a broker transaction token (draft-ietf-oauth-transaction-tokens-10) from the
    /// <c>Txn-Token</c> header, never from <c>Authorization</c>, and accepts it only if it is signed ES256 with a key from the
    /// broker's JWKS, has <c>typ</c> <c>txntoken+jwt</c>, exactly the configured <c>iss</c>, an <c>aud</c> that is exactly
    /// <see cref="BrokerTokenOptions.Audience"/> (here: the trust domain), is current, and is not revoked (the revocation
    /// feed, else introspection, as for access tokens). A transaction token is bound to no workload: it travels down its call
    /// chain. Its claims (<c>txn</c>, <c>sub</c>, <c>scope</c>, <c>req_wl</c>, and <c>tctx</c> and <c>rctx</c> as JSON) are
    /// the principal's claims; authenticate with this scheme beside the access-token scheme, which says who calls.
    /// </summary>
    public static AuthenticationBuilder AddCredentialBrokerTransactionTokens(this AuthenticationBuilder builder, string scheme, Action<BrokerTokenOptions> configure) =>
        Add(builder, scheme, configure, transaction: true);

    private static AuthenticationBuilder Add(AuthenticationBuilder builder, string scheme, Action<BrokerTokenOptions> configure, bool transaction)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<BrokerTokenOptions>(scheme).Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BrokerTokenOptions>, BrokerTokenOptionsValidator>());
        services.AddHttpClient(HttpClientName);
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ClientMetrics>();
        services.TryAddKeyedSingleton(scheme, (sp, _) => new RevocationFeedFollower(
            scheme,
            sp.GetRequiredService<IOptionsMonitor<BrokerTokenOptions>>(),
            sp.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>(),
            sp.GetRequiredService<IHttpClientFactory>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ClientMetrics>(),
            sp.GetRequiredService<ILogger<RevocationFeedFollower>>()));
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredKeyedService<RevocationFeedFollower>(scheme));
        services.TryAddKeyedSingleton(scheme, (sp, _) => new BrokerTokenChecks(
            scheme,
            sp.GetRequiredKeyedService<RevocationFeedFollower>(scheme),
            new StatusListCache(
                scheme,
                sp.GetRequiredService<IOptionsMonitor<BrokerTokenOptions>>(),
                sp.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>(),
                sp.GetRequiredService<IHttpClientFactory>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<StatusListCache>>()),
            sp.GetRequiredService<IOptionsMonitor<BrokerTokenOptions>>(),
            sp.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>(),
            sp.GetRequiredService<IHttpClientFactory>(),
            sp.GetRequiredService<ClientMetrics>(),
            new DpopProofCheck(sp.GetRequiredService<TimeProvider>()),
            sp.GetRequiredService<ILogger<BrokerTokenChecks>>(),
            transaction));
        services.AddOptions<JwtBearerOptions>(scheme).Configure<IOptionsMonitor<BrokerTokenOptions>, IHttpClientFactory, IServiceProvider>((jwt, options, http, sp) =>
            Configure(jwt, options.Get(scheme), http, sp.GetRequiredKeyedService<BrokerTokenChecks>(scheme), transaction));
        return builder.AddJwtBearer(scheme, _ => { });
    }

    /// <summary>The <c>resource_metadata</c> challenge parameter of RFC 9728 §5.1 for these options' resource.</summary>
    internal static string ResourceMetadataParameter(BrokerTokenOptions options) =>
        $"resource_metadata=\"{ProtectedResourceMetadata.LocationFor(options.Audience!).AbsoluteUri}\"";

    private static void Configure(JwtBearerOptions jwt, BrokerTokenOptions options, IHttpClientFactory http, BrokerTokenChecks checks, bool transaction)
    {
        var issuer = options.Issuer?.TrimEnd('/') ?? string.Empty;
        jwt.MetadataAddress = options.MetadataAddress?.AbsoluteUri ?? issuer + "/.well-known/oauth-authorization-server";
        jwt.RequireHttpsMetadata = options.RequireHttps;
        jwt.Backchannel = http.CreateClient(HttpClientName);
        jwt.AutomaticRefreshInterval = options.JwksRefreshInterval;
        jwt.RefreshInterval = TimeSpan.FromMinutes(1);
        jwt.MapInboundClaims = false;
        jwt.IncludeErrorDetails = true;
        jwt.SaveToken = false;
        if (options.AdvertiseResourceMetadata && ProtectedResourceMetadata.Problem(options.Audience, requireHttps: false) is null)
        {
            // JwtBearer writes the challenge's parameters after these (RFC 6750 §3), so every 401 names the metadata (RFC 9728 §5.1).
            jwt.Challenge = $"{JwtBearerDefaults.AuthenticationScheme} {ResourceMetadataParameter(options)}";
        }

        jwt.TokenHandlers.Clear();
        jwt.TokenHandlers.Add(new JsonWebTokenHandler { MapInboundClaims = false, MaximumTokenSizeInBytes = 16 * 1024 });
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = options.Issuer,
            ValidAudience = options.Audience,
            ValidTypes = [transaction ? TransactionTokenType : AccessTokenType],
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ClockSkew = options.ClockSkew,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            RequireAudience = true,
            TryAllIssuerSigningKeys = false,
            NameClaimType = "sub",
        };
        jwt.Events = new JwtBearerEvents
        {
            OnMessageReceived = transaction ? BrokerTokenChecks.OnTransactionTokenReceivedAsync : BrokerTokenChecks.OnMessageReceivedAsync,
            OnTokenValidated = checks.OnTokenValidatedAsync,
            OnChallenge = checks.OnChallengeAsync,
        };
    }
}
