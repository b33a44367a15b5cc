using CredentialBroker.Abstractions.Audit;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Exchange;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Introspection;
using CredentialBroker.Core.Issuance;
using CredentialBroker.Core.Revocation;
using CredentialBroker.Core.Tasks;
using CredentialBroker.Core.Tokens;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Revoker;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Core.Tests;

/// <summary>The core services wired over the embedded store and a fake clock.</summary>
internal sealed class CoreHarness
{
    public static readonly DateTimeOffset Start = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);

    public CoreHarness(ICredentialStore? store = null)
    {
        var options = TestOptions.Create();
        Store = store ?? new InMemoryCredentialStore(Time);
        Audit = Store as IAuditLog ?? new InMemoryCredentialStore(Time);
        Tokens = new TokenFactory(Keys, options, Time);
        Validator = new BrokerTokenValidator(Keys, options, Time);
        var svids = new JwtSvidValidator(new TrustBundleSet([Trust.Bundle]), options, Time);
        var roles = new RoleMap([
            (Pattern("spiffe://a.example/agent"), BrokerRoles.Agent),
            (Pattern("spiffe://a.example/other-agent"), BrokerRoles.Agent),
            (Pattern("spiffe://a.example/agents/"), BrokerRoles.Agent),
        ]);
        Issuance = new TaskIssuanceService(Store, Audit, Risk, Policy, Tokens, new TaskRules(options, new TrustBundleSet([Trust.Bundle]), Policy), Rules, options, Time, NullLogger<TaskIssuanceService>.Instance);
        Tasks = new TaskService(Store, Policy, Signal, Time, NullLogger<TaskService>.Instance);
        Revocation = new RevocationService(Validator, Store, Signal, Time, NullLogger<RevocationService>.Instance);
        Exchange = new TokenExchangeService(Validator, svids, roles, Store, Audit, Risk, Policy, Tokens, Rules, Signal, options, Time, NullLogger<TokenExchangeService>.Instance, Secrets);
        Introspection = new IntrospectionService(Validator, Store, Rules, options, Time, NullLogger<IntrospectionService>.Instance);
    }

    public FakeTimeProvider Time { get; } = new(Start);

    /// <summary>The SOC's bulk revocations in force.</summary>
    public CredentialBroker.Soc.SocRules Rules { get; } = new(TestOptions.Create());

    /// <summary>The trust domain <c>a.example</c>, for actor SVIDs.</summary>
    public JwtSvidMinter Trust { get; } = new("a.example", SigningKey.Generate("trust-a"));

    public TestPolicy Policy { get; } = new();

    /// <summary>The downstream secret issuer the exchange uses (a test double; the real providers have their own tests).</summary>
    public TestSecretIssuer Secrets { get; } = new();

    public TestSignal Signal { get; } = new();

    public InMemoryRiskRegistry Risk { get; } = new();

    public TokenExchangeService Exchange { get; }

    public SigningKeyRing Keys { get; } = new(SigningKey.Generate("k1"));

    public ICredentialStore Store { get; }

    public IAuditLog Audit { get; }

    public TokenFactory Tokens { get; }

    public BrokerTokenValidator Validator { get; }

    public TaskIssuanceService Issuance { get; }

    public TaskService Tasks { get; }

    public IntrospectionService Introspection { get; }

    public RevocationService Revocation { get; }

    public static CallerIdentity Caller(string id, BrokerRoles roles) =>
        new(SpiffeId.Parse(id), roles, CallerAuthenticationMethod.JwtSvidBearer, Start.AddHours(1));

    public static readonly CallerIdentity Orchestrator = Caller("spiffe://a.example/orchestrator", BrokerRoles.Orchestrator);
    public static readonly CallerIdentity OtherOrchestrator = Caller("spiffe://a.example/other-orchestrator", BrokerRoles.Orchestrator);
    public static readonly CallerIdentity Agent = Caller("spiffe://a.example/agent", BrokerRoles.Agent);
    public static readonly CallerIdentity OtherAgent = Caller("spiffe://a.example/other-agent", BrokerRoles.Agent);
    public static readonly CallerIdentity Soc = Caller("spiffe://a.example/soc", BrokerRoles.Soc);
    public static readonly CallerIdentity ResourceServer = Caller("spiffe://a.example/db", BrokerRoles.ResourceServer);

    public static TaskDraft Draft(TimeSpan? ttl = null, string workflow = "wf-invoices") => new(
        Agent.Id.Value,
        new WorkflowRef(workflow, "team-payments", "3"),
        [new AuthorizationGrant("sql.query", "postgres://payments", ["read"], "confidential")],
        ttl ?? TimeSpan.FromMinutes(10),
        new TaskApproval("CHG-1042", "alice@corp.example", Start.AddMinutes(-5)),
        new TaskOrigin("p-77", new string('a', 64), "user:bob@corp.example"),
        2,
        []);

    /// <summary>An SVID for <paramref name="path"/> of <c>a.example</c>, addressed to the broker.</summary>
    public string Svid(string path) => Trust.Mint(path, TestOptions.Issuer, Time.GetUtcNow(), TimeSpan.FromHours(1));

    public async Task<ExchangeResult> ExchangeAsync(CallerIdentity caller, string subjectToken, string? audience = "postgres://payments", IReadOnlySet<string>? scopes = null) =>
        await Exchange.ExchangeAsync(caller, new ExchangeRequest(subjectToken, RequestedToken.AccessToken, audience, scopes, null), CancellationToken.None);

    public async Task<ExchangeResult> SecretAsync(CallerIdentity caller, string subjectToken, string? resource = "postgres://payments", CancellationToken cancellationToken = default) =>
        await Exchange.ExchangeAsync(caller, new ExchangeRequest(subjectToken, RequestedToken.Secret, resource, null, null), cancellationToken);

    /// <summary>Delegates to <c>spiffe://a.example{actorPath}</c>, named by its SPIFFE ID.</summary>
    public async Task<ExchangeResult> DelegateAsync(CallerIdentity caller, string subjectToken, string actorPath, IReadOnlySet<string>? scopes = null) =>
        await Exchange.ExchangeAsync(caller, new ExchangeRequest(subjectToken, RequestedToken.DelegatedTask, null, scopes, $"spiffe://{Trust.TrustDomain}{actorPath}") { ActorKind = ActorTokenKind.SpiffeId }, CancellationToken.None);

    /// <summary>Delegates with <paramref name="actorSvid"/> as a JWT-SVID actor token (the consent form).</summary>
    public async Task<ExchangeResult> DelegateWithSvidAsync(CallerIdentity caller, string subjectToken, string actorSvid) =>
        await Exchange.ExchangeAsync(caller, new ExchangeRequest(subjectToken, RequestedToken.DelegatedTask, null, null, actorSvid), CancellationToken.None);

    /// <summary>A JWT-SVID of <c>a.example{path}</c> addressed to <paramref name="audiences"/>, with <paramref name="extraClaims"/> (raw JSON members) if given.</summary>
    public string SvidFor(string path, string[] audiences, string? extraClaims = null)
    {
        var now = Time.GetUtcNow().ToUnixTimeSeconds();
        var aud = audiences.Length == 1 ? $"\"{audiences[0]}\"" : "[" + string.Join(',', audiences.Select(a => $"\"{a}\"")) + "]";
        var claims = $$"""{"sub":"spiffe://{{Trust.TrustDomain}}{{path}}","aud":{{aud}},"iat":{{now}},"exp":{{now + 300}}{{(extraClaims is null ? "" : "," + extraClaims)}}}""";
        var key = (Microsoft.IdentityModel.Tokens.ECDsaSecurityKey)Trust.Key.Credentials.Key;
        return CredentialBroker.Testing.JwtForge.Es256($$"""{"alg":"ES256","kid":"{{Trust.Key.KeyId}}","typ":"JWT"}""", claims, key.ECDsa);
    }

    private static SpiffeIdPattern Pattern(string pattern) => SpiffeIdPattern.TryParse(pattern, out var parsed, out _) ? parsed : throw new ArgumentException(pattern);

    public async Task<TaskIssuance> IssueAsync(TaskDraft? draft = null, string? idempotencyKey = null, CallerIdentity? caller = null) =>
        await Issuance.IssueAsync(caller ?? Orchestrator, draft ?? Draft(), idempotencyKey, CancellationToken.None);
}
