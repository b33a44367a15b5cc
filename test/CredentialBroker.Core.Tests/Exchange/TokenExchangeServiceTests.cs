using System.Security.Cryptography;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Exchange;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Testing;

namespace CredentialBroker.Core.Tests.Exchange;

/// <summary>RFC 8693 exchange rules in the core. Every refusal has a twin that succeeds.</summary>
public sealed class TokenExchangeServiceTests
{
    private static readonly AuthorizationGrant Payments = new("sql.query", "postgres://payments", ["read", "list"], "confidential");
    private static readonly AuthorizationGrant Crm = new("http.get", "https://crm.example/api", ["get"], null);
    private readonly CoreHarness _harness = new();

    private static HashSet<string> Scope(params string[] scopes) => scopes.ToHashSet(StringComparer.Ordinal);

    // By default the orchestrator consents to delegation to any workload of the trust domain (the actor still needs the agent role).
    private async Task<(string TaskId, string Token, string Jti)> NewTaskAsync(int maxDepth = 2, IReadOnlyList<string>? mayAct = null, TimeSpan? ttl = null, KeyBinding? binding = null)
    {
        var issued = await _harness.IssueAsync(CoreHarness.Draft(ttl) with { Authorization = [Payments, Crm], MaxDelegationDepth = maxDepth, MayAct = mayAct ?? ["spiffe://a.example/"], Binding = binding });
        return (issued.Task!.TaskId, issued.Token!, issued.Credential!.Jti);
    }

    private async Task<bool> IsActiveAsync(string token) =>
        await _harness.Introspection.IntrospectAsync(CoreHarness.Soc, token, CancellationToken.None) is not null;

    [Test]
    public async Task An_access_token_has_one_audience_the_grants_for_it_and_is_bound_to_the_caller()
    {
        var (taskId, token, jti) = await NewTaskAsync();

        var result = await _harness.ExchangeAsync(CoreHarness.Agent, token);
        var header = JwtParts.Header(result.Token!);
        var claims = JwtParts.Payload(result.Token!);
        var stored = await _harness.Store.GetCredentialAsync(taskId, (string)claims["jti"]!, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Succeeded, Is.True, result.Description);
            Assert.That(result.IssuedTokenType, Is.EqualTo(TokenTypeUris.AccessToken));
            Assert.That(result.TokenType, Is.EqualTo("Bearer"));
            Assert.That(result.Scope, Is.EqualTo("sql.query:read sql.query:list"));
            Assert.That(result.ExpiresIn, Is.EqualTo(300), "the access token lifetime cap, shorter than the task's 10 minutes");
            Assert.That((string?)header["typ"], Is.EqualTo("at+jwt"));
            Assert.That((string?)claims["aud"], Is.EqualTo("postgres://payments"));
            Assert.That((string?)claims["sub"], Is.EqualTo(CoreHarness.Agent.Id.Value));
            Assert.That((string?)claims["client_id"], Is.EqualTo(CoreHarness.Agent.Id.Value));
            Assert.That((string?)claims["cnf"]!["spiffe_id"], Is.EqualTo(CoreHarness.Agent.Id.Value));
            Assert.That((string?)claims["task_id"], Is.EqualTo(taskId));
            Assert.That(claims["authorization_details"]!.AsArray(), Has.Count.EqualTo(1));
            Assert.That((string?)claims["authorization_details"]![0]!["identifier"], Is.EqualTo("sql.query"));
            Assert.That(claims.ContainsKey("act"), Is.False);
            Assert.That(stored!.Credential.Kind, Is.EqualTo(CredentialKind.AccessToken));
            Assert.That(stored.Credential.ParentJti, Is.EqualTo(jti));
            Assert.That(stored.Credential.Audience, Is.EqualTo("postgres://payments"));
            Assert.That(stored.Credential.Policy, Is.EqualTo(new PolicyReference("allow-all", "test-1")));
        });
    }

    [Test]
    public async Task An_access_token_never_outlives_its_subject_token()
    {
        var (_, token, _) = await NewTaskAsync(ttl: TimeSpan.FromMinutes(1));
        _harness.Time.Advance(TimeSpan.FromSeconds(20));

        var result = await _harness.ExchangeAsync(CoreHarness.Agent, token);

        Assert.That(result.ExpiresIn, Is.EqualTo(40));
    }

    [Test]
    public async Task An_audience_the_subject_does_not_grant_is_invalid_target()
    {
        var (_, token, _) = await NewTaskAsync();

        var foreign = await _harness.ExchangeAsync(CoreHarness.Agent, token, audience: "postgres://hr");
        var spoofed = await _harness.ExchangeAsync(CoreHarness.Agent, token, audience: "postgres://payments@evil.example");
        var missing = await _harness.ExchangeAsync(CoreHarness.Agent, token, audience: null);
        var twin = await _harness.ExchangeAsync(CoreHarness.Agent, token, audience: "https://crm.example/api");

        Assert.Multiple(() =>
        {
            Assert.That(foreign.Error, Is.EqualTo(ExchangeError.InvalidTarget));
            Assert.That(spoofed.Error, Is.EqualTo(ExchangeError.InvalidTarget));
            Assert.That(missing.Error, Is.EqualTo(ExchangeError.InvalidRequest));
            Assert.That(twin.Succeeded, Is.True);
        });
    }

    [Test]
    public async Task A_scope_can_narrow_but_never_widen()
    {
        var (_, token, _) = await NewTaskAsync();

        var narrower = await _harness.ExchangeAsync(CoreHarness.Agent, token, scopes: Scope("sql.query:read"));
        var wider = await _harness.ExchangeAsync(CoreHarness.Agent, token, scopes: Scope("sql.query:read", "sql.query:write"));
        var otherResource = await _harness.ExchangeAsync(CoreHarness.Agent, token, scopes: Scope("http.get:get"));

        Assert.Multiple(() =>
        {
            Assert.That(narrower.Scope, Is.EqualTo("sql.query:read"));
            Assert.That((string?)JwtParts.Payload(narrower.Token!)["authorization_details"]![0]!["actions"]![0], Is.EqualTo("read"));
            Assert.That(JwtParts.Payload(narrower.Token!)["authorization_details"]![0]!["actions"]!.AsArray(), Has.Count.EqualTo(1));
            Assert.That(wider.Error, Is.EqualTo(ExchangeError.InvalidScope));
            Assert.That(otherResource.Error, Is.EqualTo(ExchangeError.InvalidScope), "a scope of another resource does not apply to this audience");
        });
    }

    [Test]
    public async Task Only_the_workload_the_token_is_bound_to_may_exchange_it()
    {
        var (_, token, _) = await NewTaskAsync();

        var stolen = await _harness.ExchangeAsync(CoreHarness.OtherAgent, token);
        var holder = await _harness.ExchangeAsync(CoreHarness.Agent, token);

        Assert.Multiple(() =>
        {
            Assert.That(stolen.Error, Is.EqualTo(ExchangeError.InvalidGrant));
            Assert.That(holder.Succeeded, Is.True);
        });
    }

    [Test]
    public async Task A_caller_without_the_agent_role_is_unauthorized_client()
    {
        var (_, token, _) = await NewTaskAsync();
        Assert.That((await _harness.ExchangeAsync(CoreHarness.Orchestrator, token)).Error, Is.EqualTo(ExchangeError.UnauthorizedClient));
    }

    [Test]
    public async Task A_revoked_or_expired_subject_token_or_a_closed_task_is_invalid_grant()
    {
        var (_, revoked, _) = await NewTaskAsync();
        await _harness.Revocation.RevokeAsync(CoreHarness.Agent, revoked, null, CancellationToken.None);
        var (completedTask, completed, _) = await NewTaskAsync();
        await _harness.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, completedTask, TaskState.Completed, null, CancellationToken.None);
        var (pausedTask, paused, _) = await NewTaskAsync();
        await _harness.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, pausedTask, TaskState.Running, null, CancellationToken.None);
        await _harness.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, pausedTask, TaskState.Paused, null, CancellationToken.None);
        var (runningTask, running, _) = await NewTaskAsync();
        await _harness.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, runningTask, TaskState.Running, null, CancellationToken.None);
        var (_, expiring, _) = await NewTaskAsync(ttl: TimeSpan.FromMinutes(1));

        var results = new[]
        {
            await _harness.ExchangeAsync(CoreHarness.Agent, revoked),
            await _harness.ExchangeAsync(CoreHarness.Agent, completed),
            await _harness.ExchangeAsync(CoreHarness.Agent, paused),
        };
        var twin = await _harness.ExchangeAsync(CoreHarness.Agent, running);
        _harness.Time.Advance(TimeSpan.FromMinutes(2));
        var expired = await _harness.ExchangeAsync(CoreHarness.Agent, expiring);

        Assert.Multiple(() =>
        {
            Assert.That(results.Select(r => r.Error), Is.All.EqualTo(ExchangeError.InvalidGrant));
            Assert.That(expired.Error, Is.EqualTo(ExchangeError.InvalidGrant));
            Assert.That(twin.Succeeded, Is.True);
        });
    }

    [Test]
    public async Task Other_token_kinds_are_not_subject_tokens()
    {
        var (_, token, _) = await NewTaskAsync();
        var accessToken = (await _harness.ExchangeAsync(CoreHarness.Agent, token)).Token!;
        var svid = _harness.Svid("/agent");
        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var dpopProof = JwtForge.Es256("""{"alg":"ES256","typ":"dpop+jwt"}""", """{"htm":"POST","htu":"https://broker.example/oauth2/token","iat":1}""", attacker);

        Assert.Multiple(async () =>
        {
            Assert.That((await _harness.ExchangeAsync(CoreHarness.Agent, accessToken)).Error, Is.EqualTo(ExchangeError.InvalidGrant), "a downstream token replayed as subject");
            Assert.That((await _harness.ExchangeAsync(CoreHarness.Agent, svid)).Error, Is.EqualTo(ExchangeError.InvalidGrant), "an SVID");
            Assert.That((await _harness.ExchangeAsync(CoreHarness.Agent, dpopProof)).Error, Is.EqualTo(ExchangeError.InvalidGrant), "a DPoP proof");
            Assert.That((await _harness.ExchangeAsync(CoreHarness.Agent, "garbage")).Error, Is.EqualTo(ExchangeError.InvalidGrant));
            Assert.That((await _harness.ExchangeAsync(CoreHarness.Agent, token)).Succeeded, Is.True);
        });
    }

    // The broker signs Security Event Tokens with its own key, and an SSF stream's aud may name the broker itself: such a
    // SET carries the broker's iss and aud and a jti. Forged here with every claim of a live task token besides (task_id,
    // exp, grants), its typ alone keeps it out; the twin, the same claims and key as task+jwt, is exchanged.
    [Test]
    public async Task A_security_event_signed_by_the_broker_is_not_a_subject_token_even_shaped_like_a_task_token()
    {
        var (_, token, jti) = await NewTaskAsync();
        var claims = JwtParts.Payload(token);
        claims["events"] = new System.Text.Json.Nodes.JsonObject
        {
            ["https://schemas.openid.net/secevent/caep/event-type/session-revoked"] = new System.Text.Json.Nodes.JsonObject
            {
                ["subject"] = new System.Text.Json.Nodes.JsonObject { ["format"] = "jwt_id", ["iss"] = TestOptions.Issuer, ["jti"] = jti },
            },
        };
        var key = ((Microsoft.IdentityModel.Tokens.ECDsaSecurityKey)_harness.Keys.ActiveAt(_harness.Time.GetUtcNow()).Credentials.Key).ECDsa;
        string Signed(string typ) => JwtForge.Es256($$"""{"alg":"ES256","kid":"k1","typ":"{{typ}}"}""", claims.ToJsonString(), key);

        var asEvent = await _harness.ExchangeAsync(CoreHarness.Agent, Signed("secevent+jwt"));
        var asTaskToken = await _harness.ExchangeAsync(CoreHarness.Agent, Signed("task+jwt"));

        Assert.Multiple(() =>
        {
            Assert.That(asEvent.Error, Is.EqualTo(ExchangeError.InvalidGrant), "a SET as subject_token");
            Assert.That(asTaskToken.Succeeded, Is.True, "the same claims and key with typ task+jwt: only the typ refused it");
        });
    }

    [Test]
    public async Task A_delegated_token_keeps_the_subject_names_the_actor_and_is_bound_to_it()
    {
        var (taskId, token, jti) = await NewTaskAsync();

        var delegated = await _harness.DelegateAsync(CoreHarness.Agent, token, "/agents/sub");
        var claims = JwtParts.Payload(delegated.Token!);
        var stored = await _harness.Store.GetCredentialAsync(taskId, (string)claims["jti"]!, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(delegated.Succeeded, Is.True, delegated.Description);
            Assert.That(delegated.IssuedTokenType, Is.EqualTo(TokenTypeUris.Task));
            Assert.That(delegated.TokenType, Is.EqualTo("N_A"));
            Assert.That((string?)JwtParts.Header(delegated.Token!)["typ"], Is.EqualTo("task+jwt"));
            Assert.That((string?)claims["sub"], Is.EqualTo(CoreHarness.Agent.Id.Value));
            Assert.That((string?)claims["act"]!["sub"], Is.EqualTo("spiffe://a.example/agents/sub"));
            Assert.That(claims["act"]!.AsObject().ContainsKey("act"), Is.False);
            Assert.That((string?)claims["cnf"]!["spiffe_id"], Is.EqualTo("spiffe://a.example/agents/sub"));
            Assert.That((long)claims["exp"]!, Is.LessThanOrEqualTo((long)JwtParts.Payload(token)["exp"]!));
            Assert.That(stored!.Credential.Kind, Is.EqualTo(CredentialKind.Delegated));
            Assert.That(stored.Credential.Depth, Is.EqualTo(1));
            Assert.That(stored.Credential.ParentJti, Is.EqualTo(jti));
        });
    }

    [Test]
    public async Task Actors_nest_with_the_current_actor_outermost_and_each_generation_only_narrows()
    {
        var (_, token, _) = await NewTaskAsync();
        var sub = CoreHarness.Caller("spiffe://a.example/agents/sub", BrokerRoles.Agent);

        var first = await _harness.DelegateAsync(CoreHarness.Agent, token, "/agents/sub", Scope("sql.query:read", "http.get:get"));
        var second = await _harness.DelegateAsync(sub, first.Token!, "/agents/subsub", Scope("sql.query:read"));
        var widening = await _harness.DelegateAsync(sub, first.Token!, "/agents/subsub", Scope("sql.query:list"));
        var claims = JwtParts.Payload(second.Token!);

        Assert.Multiple(() =>
        {
            Assert.That(second.Succeeded, Is.True, second.Description);
            Assert.That((string?)claims["sub"], Is.EqualTo(CoreHarness.Agent.Id.Value), "sub stays the original subject");
            Assert.That((string?)claims["act"]!["sub"], Is.EqualTo("spiffe://a.example/agents/subsub"));
            Assert.That((string?)claims["act"]!["act"]!["sub"], Is.EqualTo("spiffe://a.example/agents/sub"));
            Assert.That(second.Scope, Is.EqualTo("sql.query:read"));
            Assert.That((long)claims["exp"]!, Is.LessThanOrEqualTo((long)JwtParts.Payload(first.Token!)["exp"]!));
            Assert.That(widening.Error, Is.EqualTo(ExchangeError.InvalidScope), "a generation cannot regain what its parent dropped");
        });
    }

    [Test]
    public async Task Delegation_beyond_the_tasks_depth_is_invalid_grant()
    {
        var (_, token, _) = await NewTaskAsync(maxDepth: 1);
        var sub = CoreHarness.Caller("spiffe://a.example/agents/sub", BrokerRoles.Agent);

        var first = await _harness.DelegateAsync(CoreHarness.Agent, token, "/agents/sub");
        var second = await _harness.DelegateAsync(sub, first.Token!, "/agents/subsub");
        var accessFromFirst = await _harness.ExchangeAsync(sub, first.Token!);

        Assert.Multiple(() =>
        {
            Assert.That(first.Succeeded, Is.True);
            Assert.That(second.Error, Is.EqualTo(ExchangeError.InvalidGrant));
            Assert.That(accessFromFirst.Succeeded, Is.True, "an access token is not a further delegation");
        });
    }

    [Test]
    public async Task A_task_without_delegation_depth_cannot_be_delegated() =>
        Assert.That((await _harness.DelegateAsync(CoreHarness.Agent, (await NewTaskAsync(maxDepth: 0)).Token, "/agents/sub")).Error, Is.EqualTo(ExchangeError.InvalidGrant));

    [Test]
    public async Task Only_actors_the_task_may_act_allows_are_accepted()
    {
        var (_, token, _) = await NewTaskAsync(mayAct: ["spiffe://a.example/agents/trusted/"]);

        var outsider = await _harness.DelegateAsync(CoreHarness.Agent, token, "/agents/sub");
        var allowed = await _harness.DelegateAsync(CoreHarness.Agent, token, "/agents/trusted/one");

        Assert.Multiple(() =>
        {
            Assert.That(outsider.Error, Is.EqualTo(ExchangeError.InvalidGrant));
            Assert.That(allowed.Succeeded, Is.True);
        });
    }

    [Test]
    public async Task Actors_must_hold_the_agent_role_present_a_valid_svid_and_not_repeat_in_the_chain()
    {
        var (_, token, _) = await NewTaskAsync();
        var sub = CoreHarness.Caller("spiffe://a.example/agents/sub", BrokerRoles.Agent);
        var first = await _harness.DelegateAsync(CoreHarness.Agent, token, "/agents/sub");

        var noRole = await _harness.DelegateAsync(CoreHarness.Agent, token, "/printer");
        var badSvid = await _harness.Exchange.ExchangeAsync(CoreHarness.Agent, new ExchangeRequest(token, RequestedToken.DelegatedTask, null, null, "not-an-svid"), CancellationToken.None);
        var backToAgent = await _harness.DelegateAsync(sub, first.Token!, "/agent");
        var toSelf = await _harness.DelegateAsync(sub, first.Token!, "/agents/sub");

        Assert.Multiple(() =>
        {
            Assert.That(noRole.Error, Is.EqualTo(ExchangeError.InvalidGrant));
            Assert.That(badSvid.Error, Is.EqualTo(ExchangeError.InvalidGrant));
            Assert.That(backToAgent.Error, Is.EqualTo(ExchangeError.InvalidGrant), "a cycle back to the subject");
            Assert.That(toSelf.Error, Is.EqualTo(ExchangeError.InvalidGrant), "a cycle to the current actor");
        });
    }

    [Test]
    public async Task Policy_decides_on_broker_facts_and_its_rule_is_recorded()
    {
        _harness.Policy.DataClasses["postgres://payments"] = "restricted";
        await _harness.Risk.SetAsync(new RiskEntry(RiskSubjectKind.Workload, CoreHarness.Agent.Id.Value, RiskLevel.Medium, null, "soc", CoreHarness.Start), CancellationToken.None);
        var token = (await _harness.IssueAsync(CoreHarness.Draft() with { Authorization = [Payments with { DataClass = null }, Crm], MaxDelegationDepth = 2, MayAct = ["spiffe://a.example/agents/"] })).Token!;
        _harness.Policy.Inputs.Clear();

        var result = await _harness.DelegateAsync(CoreHarness.Agent, token, "/agents/sub", Scope("sql.query:read"));
        var input = _harness.Policy.Inputs.Single();

        Assert.Multiple(() =>
        {
            Assert.That(result.Succeeded, Is.True);
            Assert.That(input.Operation, Is.EqualTo(PolicyOperation.Delegate));
            Assert.That(input.Request.Actor, Is.EqualTo("spiffe://a.example/agents/sub"));
            Assert.That(input.Request.Depth, Is.EqualTo(1));
            Assert.That(input.Request.Actions, Is.EqualTo(new[] { "read" }));
            Assert.That(input.Request.DeclaredDataClass, Is.EqualTo("restricted"), "the registered class stands in for the one the request left out");
            Assert.That(input.Risk.Of(CoreHarness.Agent.Id.Value), Is.EqualTo(RiskLevel.Medium));
            Assert.That(input.Task.Workflow.Id, Is.EqualTo("wf-invoices"));
        });
    }

    [Test]
    public async Task A_policy_denial_is_invalid_target_and_a_policy_limit_shortens_the_token()
    {
        var (_, token, _) = await NewTaskAsync();
        _harness.Policy.Decide = input => input.Request.Destination == "postgres://payments"
            ? TestPolicy.Deny("no-payments")
            : TestPolicy.Allow("crm-short", TimeSpan.FromSeconds(60));

        var denied = await _harness.ExchangeAsync(CoreHarness.Agent, token);
        var limited = await _harness.ExchangeAsync(CoreHarness.Agent, token, audience: "https://crm.example/api");

        Assert.Multiple(() =>
        {
            Assert.That(denied.Error, Is.EqualTo(ExchangeError.InvalidTarget));
            Assert.That(denied.Description, Does.Contain("no-payments"));
            Assert.That(limited.ExpiresIn, Is.EqualTo(60));
        });
    }

    [Test]
    public async Task Revoking_the_task_token_kills_every_generation_three_levels_deep()
    {
        var (_, token, _) = await NewTaskAsync();
        var sub = CoreHarness.Caller("spiffe://a.example/agents/sub", BrokerRoles.Agent);
        var subsub = CoreHarness.Caller("spiffe://a.example/agents/subsub", BrokerRoles.Agent);
        var first = (await _harness.DelegateAsync(CoreHarness.Agent, token, "/agents/sub")).Token!;
        var second = (await _harness.DelegateAsync(sub, first, "/agents/subsub")).Token!;
        var access = (await _harness.ExchangeAsync(subsub, second)).Token!;
        var all = new[] { token, first, second, access };
        var before = await Task.WhenAll(all.Select(IsActiveAsync));

        await _harness.Revocation.RevokeAsync(CoreHarness.Agent, token, null, CancellationToken.None);
        var after = await Task.WhenAll(all.Select(IsActiveAsync));
        var reissue = await _harness.DelegateAsync(sub, first, "/agents/other");

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.All.True);
            Assert.That(after, Is.All.False);
            Assert.That(reissue.Error, Is.EqualTo(ExchangeError.InvalidGrant));
        });
    }

    [Test]
    public async Task Revoking_a_middle_generation_leaves_its_ancestors_alive()
    {
        var (_, token, _) = await NewTaskAsync();
        var sub = CoreHarness.Caller("spiffe://a.example/agents/sub", BrokerRoles.Agent);
        var first = (await _harness.DelegateAsync(CoreHarness.Agent, token, "/agents/sub")).Token!;
        var access = (await _harness.ExchangeAsync(sub, first)).Token!;

        await _harness.Revocation.RevokeAsync(sub, first, null, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(await IsActiveAsync(token), Is.True);
            Assert.That(await IsActiveAsync(first), Is.False);
            Assert.That(await IsActiveAsync(access), Is.False);
        });
    }
}
