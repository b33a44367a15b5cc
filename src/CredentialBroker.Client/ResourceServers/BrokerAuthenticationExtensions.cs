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
    public static AuthenticationBuilder AddCredentialBroker(this AuthenticationBuilder builder, string scheme, Action<BrokerTokenOptions> configure)
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
            sp.GetRequiredService<ILogger<BrokerTokenChecks>>()));
        services.AddOptions<JwtBearerOptions>(scheme).Configure<IOptionsMonitor<BrokerTokenOptions>, IHttpClientFactory, IServiceProvider>((jwt, options, http, sp) =>
            Configure(jwt, options.Get(scheme), http, sp.GetRequiredKeyedService<BrokerTokenChecks>(scheme)));
        return builder.AddJwtBearer(scheme, _ => { });
    }

    private static void Configure(JwtBearerOptions jwt, BrokerTokenOptions options, IHttpClientFactory http, BrokerTokenChecks checks)
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
        jwt.TokenHandlers.Clear();
        jwt.TokenHandlers.Add(new JsonWebTokenHandler { MapInboundClaims = false, MaximumTokenSizeInBytes = 16 * 1024 });
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = options.Issuer,
            ValidAudience = options.Audience,
            ValidTypes = [AccessTokenType],
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
            OnMessageReceived = BrokerTokenChecks.OnMessageReceivedAsync,
            OnTokenValidated = checks.OnTokenValidatedAsync,
            OnChallenge = BrokerTokenChecks.OnChallengeAsync,
        };
    }
}
