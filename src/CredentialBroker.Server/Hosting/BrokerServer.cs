using System.Security.Cryptography.X509Certificates;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Revocation;
using CredentialBroker.Core.Tokens;
using CredentialBroker.Downstream;
using CredentialBroker.Downstream.Providers;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Policy;
using CredentialBroker.Redis;
using CredentialBroker.Revoker;
using CredentialBroker.Server.Audit;
using CredentialBroker.Server.Discovery;
using CredentialBroker.Server.Health;
using CredentialBroker.Server.Identity;
using CredentialBroker.Server.OAuth;
using CredentialBroker.Server.Policy;
using CredentialBroker.Server.Problems;
using CredentialBroker.Server.RateLimiting;
using CredentialBroker.Server.Revocation;
using CredentialBroker.Server.Soc;
using CredentialBroker.Server.Tasks;
using CredentialBroker.Server.Telemetry;
using CredentialBroker.Soc;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Options;
using Quartz;

namespace CredentialBroker.Server.Hosting;

/// <summary>
/// Composes the broker host. With <c>ConnectionStrings:Redis</c> it runs in production mode: Redis store,
/// signing keys and trust bundles from files. Without it, development mode: embedded store, ephemeral keys,
/// the dev trust domain and its credentials file — refused in the Production environment.
/// </summary>
internal static class BrokerServer
{
    public const string DefaultDevUrl = "http://127.0.0.1:8080";

    public static WebApplicationBuilder AddCredentialBrokerServer(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;
        var redis = configuration.GetConnectionString("Redis");
        var devMode = string.IsNullOrWhiteSpace(redis);
        var devOptions = configuration.GetSection(DevModeOptions.SectionName).Get<DevModeOptions>() ?? new DevModeOptions();
        if (devMode && builder.Environment.IsProduction() && !devOptions.AllowInProduction)
        {
            throw new BrokerStartupException(
                "No store is configured (ConnectionStrings:Redis), so the broker would start in development mode, " +
                "which is refused in the Production environment. Configure Redis, signing keys and trust bundles, " +
                "or run with ASPNETCORE_ENVIRONMENT=Development.");
        }

        if (devMode)
        {
            // Checked before the host starts: an unsafe directory stops the start with a plain message.
            PrivateFiles.EnsureDirectory(Path.GetDirectoryName(Path.GetFullPath(devOptions.EffectiveCredentialsFile))!);
        }

        if (devMode && string.IsNullOrEmpty(configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultDevUrl);
        }

        if (devMode)
        {
            QuietDevConsole(builder.Configuration);
        }

        // Dev mode trusts its own X.509 authority, so the dev X.509-SVIDs authenticate on an HTTPS endpoint.
        var acceptsX509Svids = devMode || configuration.GetSection($"{CredentialBrokerOptions.SectionName}:X509Bundles").GetChildren().Any();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (acceptsX509Svids)
            {
                // HTTPS endpoints ask for a client certificate; X509SvidValidator judges it per request against the
                // bundle of the trust domain it names, so TLS itself accepts any (a bad one just authenticates no one).
                kestrel.ConfigureHttpsDefaults(https =>
                {
                    https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate;
                    https.ClientCertificateValidation = (_, _, _) => true;
                });
            }

            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 64 * 1024;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
        });

        services.Configure<FormOptions>(o =>
        {
            var limits = OAuthForm.Limits;
            o.ValueLengthLimit = limits.ValueLengthLimit;
            o.KeyLengthLimit = limits.KeyLengthLimit;
            o.ValueCountLimit = limits.ValueCountLimit;
            o.MultipartBodyLengthLimit = limits.MultipartBodyLengthLimit;
        });
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJsonContext.Default);
            o.SerializerOptions.Encoder = JsonWriting.Encoder;
        });
        services.AddProblemDetails();
        services.AddBrokerHealthChecks();
        services.AddBrokerRateLimits(configuration);
        services.AddExceptionHandler<StoreUnavailableExceptionHandler>();
        services.AddExceptionHandler<UnhandledExceptionHandler>();
        services.AddSingleton<CallerAuthenticator>();
        services.AddAuthentication(SpiffeAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, SpiffeAuthenticationHandler>(SpiffeAuthenticationHandler.SchemeName, null);
        services.AddAuthorization(BrokerPolicies.Configure);
        services.AddSingleton(sp => new X509SvidValidator(
            devMode ? WithDevAuthority(X509SvidValidator.LoadBundles(Options(sp)), sp.GetRequiredService<DevIdentities>()) : X509SvidValidator.LoadBundles(Options(sp)),
            sp.GetRequiredKeyedService<TimeProvider>(BrokerTime.ServiceKey)));

        services.Configure<CredentialBrokerOptions>(configuration.GetSection(CredentialBrokerOptions.SectionName));
        services.Configure<PolicyOptions>(configuration.GetSection(PolicyOptions.SectionName));
        services.Configure<RevokerOptions>(configuration.GetSection(RevokerOptions.SectionName));
        services.AddOptions<RevocationFeedOptions>().Bind(configuration.GetSection(RevocationFeedOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RevocationFeedOptions>, RevocationFeedOptionsValidator>();
        services.AddSingleton(sp => new ReloadingPolicySource(
            sp.GetRequiredService<IOptions<PolicyOptions>>().Value.Path,
            sp.GetRequiredService<TimeProvider>(), // the reload debounce is wall-clock plumbing, not domain time
            sp.GetRequiredService<ILogger<ReloadingPolicySource>>()));
        services.AddSingleton<IPolicySource>(sp => sp.GetRequiredService<ReloadingPolicySource>());
        var broker = services.AddCredentialBroker().AddRevoker().AddSoc();
        if (devMode)
        {
            services.Configure<DevModeOptions>(configuration.GetSection(DevModeOptions.SectionName));
            services.PostConfigure<CredentialBrokerOptions>(o =>
            {
                o.Issuer ??= DevIssuer(configuration["urls"]);
                if (!o.ResourceServers.Values.Any(r => r.Id == DevIdentities.ResourceServerId))
                {
                    o.ResourceServers["dev-resource-server"] = new ResourceServerOptions { Id = DevIdentities.ResourceServerId, Resources = { DevIdentities.ResourceServerResource } };
                }
            });
            services.AddSingleton<DevIdentities>();
            services.AddSingleton(_ => new SigningKeyRing(SigningKey.Generate()));
            services.AddSingleton(sp => new TrustBundleSet([
                sp.GetRequiredService<DevIdentities>().Minter.Bundle,
                .. KeyMaterialLoader.LoadTrustBundles(Options(sp))]));
            services.AddSingleton(sp => RoleMapFrom(Options(sp), devRoles: true));
            services.AddHostedService<DevCredentialsWriter>();
            broker.UseEmbeddedStore();
        }
        else
        {
            services.AddSingleton<IValidateOptions<CredentialBrokerOptions>, ProductionOptionsValidator>();
            services.AddSingleton(sp =>
            {
                var options = Options(sp);
                return new SigningKeyRing(KeyMaterialLoader.LoadSigningKeys(options), options.KeyPublishLead, options.MaxTaskTtl + options.ClockSkew);
            });
            services.AddSingleton(sp => new TrustBundleSet(KeyMaterialLoader.LoadTrustBundles(Options(sp))));
            services.AddSingleton(sp => RoleMapFrom(Options(sp), devRoles: false));
            broker.UseRedisStore(o =>
            {
                configuration.GetSection(RedisStoreOptions.SectionName).Bind(o);
                o.ConnectionString = redis;
            });
        }

        services.AddHostedService<TrustBundleRefresher>();

        services.Configure<SocOptions>(configuration.GetSection(SocOptions.SectionName));
        services.Configure<SsfOptions>(configuration.GetSection(SsfOptions.SectionName));

        // The Shared Signals transmitter: streams and pending events in the store, pushes over a client that never follows redirects.
        services.AddOptions<SsfTransmitOptions>().Bind(configuration.GetSection(SsfTransmitOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SsfTransmitOptions>, SsfTransmitOptionsValidator>();
        services.AddSingleton<SsfTransmitter>();
        services.AddHttpClient(SsfTransmitter.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, ConnectTimeout = TimeSpan.FromSeconds(5) })
            .RemoveAllLoggers(); // the transmitter logs each push itself, by stream and jti; a receiver's URL may carry a secret

        // Downstream secrets, in development and production alike (API.md "Downstream secrets").
        services.Configure<DownstreamOptions>(configuration.GetSection(DownstreamOptions.SectionName));
        services.AddDownstreamSecrets();

        // Before the schedules: the meter provider and the broker's instruments exist before the first job runs.
        services.AddBrokerTelemetry(configuration);
        AddSchedules(services);
        return builder;
    }

    /// <summary>
    /// The revoker and the SOC run on Quartz: each replica sweeps expiries, drains the work queue, retries irrevocable
    /// credentials, revokes unconfirmed downstream secrets, trims the feed, reloads the rules in force and advances bulk revocations on its own schedule; Redis
    /// claims keep replicas from doing the same work twice in effect. Every interval comes from the validated options
    /// (read when the scheduler is built, never from raw configuration). Schedules run on the container's clock, the
    /// wall clock; the jobs decide with the broker's own clock (a FakeTimeProvider in tests).
    /// </summary>
    private static void AddSchedules(IServiceCollection services)
    {
        services.AddHostedService<BulkRevocationTrigger>();
        services.AddSingleton<AuditCheckpointer>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditCheckpointer>());
        services.AddHostedService<PolicyReloadAuditor>();
        services.AddSingleton<KeyScheduleReporter>();
        services.AddSingleton<QuartzRevocationSignal>();
        services.AddSingleton<IRevocationSignal>(sp => sp.GetRequiredService<QuartzRevocationSignal>());

        // Quartz keeps schedulers in a process-wide registry by name; each broker host gets its own.
        var properties = new Dictionary<string, string?> { ["quartz.scheduler.instanceName"] = "credentialbroker-" + Guid.NewGuid().ToString("N") };
        services.AddQuartz(properties, quartz =>
        {
            Every<ExpirySweepJob, RevokerOptions>(quartz, ExpirySweepJob.Key, o => o.ExpirySweepInterval);
            Every<RevocationWorkJob, RevokerOptions>(quartz, RevocationWorkJob.Key, o => o.WorkPollInterval);
            Every<IrrevocableRetryJob, RevokerOptions>(quartz, IrrevocableRetryJob.Key, o => o.IrrevocableRetryInterval);
            Every<FeedTrimJob, RevokerOptions>(quartz, FeedTrimJob.Key, o => o.FeedTrimInterval);
            Every<IssueReconcileJob, RevokerOptions>(quartz, IssueReconcileJob.Key, o => o.IssueReconcileInterval);
            Every<KeyRotationJob, CredentialBrokerOptions>(quartz, KeyRotationJob.Key, o => o.KeyScheduleCheckInterval);
            Every<SocRulesJob, SocOptions>(quartz, SocRulesJob.Key, o => o.RuleRefreshInterval);
            Every<BulkRevocationJob, SocOptions>(quartz, BulkRevocationJob.Key, o => o.ProgressInterval);
            Every<SsfTransmitJob, SsfTransmitOptions>(quartz, SsfTransmitJob.Key, o => o.DeliveryInterval);
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
    }

    private static void Every<TJob, TOptions>(IQuartzBuilder quartz, JobKey key, Func<TOptions, TimeSpan> interval)
        where TJob : IJob
        where TOptions : class =>
        quartz.ScheduleJob<TJob>(
            (services, trigger) => trigger.WithIdentity(key.Name + "-trigger", key.Group).StartNow()
                .WithSimpleSchedule(s => s.WithInterval(interval(services.GetRequiredService<IOptions<TOptions>>().Value)).RepeatForever().MeasureIntervalFromCompletion()),
            (_, job) => job.WithIdentity(key));

    public static WebApplication MapCredentialBroker(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapDiscoveryEndpoints();
        app.MapHealthEndpoints();
        app.MapTaskEndpoints();
        app.MapOAuthEndpoints();
        app.MapPolicyEndpoints();
        app.MapRevocationEndpoints();
        app.MapStatusListEndpoints();
        app.MapSocEndpoints();
        app.MapSsfEndpoints();
        app.MapSsfStreamEndpoints();
        app.MapAuditEndpoints();
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous(); // operations, like health: reach it only from the scraper (NetworkPolicy)

        // Resolve key material, bundles and the policy now, so a bad file stops the start instead of the first request.
        _ = app.Services.GetRequiredService<SigningKeyRing>();
        _ = app.Services.GetRequiredService<TrustBundleSet>();
        _ = app.Services.GetRequiredService<X509SvidValidator>();
        _ = app.Services.GetRequiredService<IPolicySource>();
        return app;
    }

    /// <summary>
    /// The dev console shows the banner and warnings, not the framework's start-up lines: the default log level becomes
    /// Warning, above the appsettings files and below environment variables and the command line, which can raise it again.
    /// </summary>
    private static void QuietDevConsole(ConfigurationManager configuration)
    {
        var quiet = new MemoryConfigurationSource { InitialData = new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning" } };
        var afterFiles = configuration.Sources.ToList().FindLastIndex(source => source is FileConfigurationSource) + 1;
        configuration.Sources.Insert(afterFiles, quiet);
    }

    private static Dictionary<string, X509Certificate2Collection> WithDevAuthority(IReadOnlyDictionary<string, X509Certificate2Collection> configured, DevIdentities identities)
    {
        var bundles = new Dictionary<string, X509Certificate2Collection>(configured, StringComparer.Ordinal);
        if (!bundles.TryGetValue(DevModeOptions.TrustDomain, out var authorities))
        {
            bundles[DevModeOptions.TrustDomain] = authorities = [];
        }

        authorities.Add(identities.Authority.Certificate);
        return bundles;
    }

    /// <summary>The dev issuer: the first listen URL, with wildcard hosts replaced by 127.0.0.1 and no trailing slash.</summary>
    internal static string DevIssuer(string? urls)
    {
        var first = (urls ?? DefaultDevUrl).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? DefaultDevUrl;
        foreach (var wildcard in (string[])["://*", "://+", "://0.0.0.0", "://[::]"])
        {
            first = first.Replace(wildcard, "://127.0.0.1", StringComparison.Ordinal);
        }

        return first.TrimEnd('/');
    }

    private static CredentialBrokerOptions Options(IServiceProvider services) =>
        services.GetRequiredService<IOptions<CredentialBrokerOptions>>().Value;

    private static RoleMap RoleMapFrom(CredentialBrokerOptions options, bool devRoles)
    {
        var bindings = new List<(SpiffeIdPattern, BrokerRoles)>();
        void Add(IEnumerable<string> patterns, BrokerRoles role)
        {
            foreach (var pattern in patterns)
            {
                bindings.Add((SpiffeIdPattern.TryParse(pattern, out var parsed, out var error)
                    ? parsed
                    : throw new BrokerStartupException($"Role pattern '{pattern}': {error}."), role));
            }
        }

        Add(options.Roles.Orchestrator, BrokerRoles.Orchestrator);
        Add(options.Roles.Agent, BrokerRoles.Agent);
        Add(options.Roles.Soc, BrokerRoles.Soc);
        Add(options.Roles.ResourceServer, BrokerRoles.ResourceServer);
        Add(options.Roles.Operator, BrokerRoles.Operator);
        if (devRoles)
        {
            foreach (var (_, path, role) in DevIdentities.Workloads)
            {
                Add([DevIdentities.IdOf(path)], role);
            }
        }

        return new RoleMap(bindings);
    }
}
