using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Exchange;
using CredentialBroker.Testing;

namespace CredentialBroker.Core.Tests.Exchange;

/// <summary>
/// Transaction Tokens (draft-ietf-oauth-transaction-tokens-10) as a token-exchange profile: issued from task and delegated
/// tokens, replaced without widening, recorded under their subject and revoked with the task. Every refusal has a twin that succeeds.
/// </summary>
public sealed class TransactionTokenTests
{
    private const string TrustDomain = TestOptions.Issuer; // the default: the broker's issuer
    private static readonly AuthorizationGrant Payments = new("sql.query", "postgres://payments", ["read", "list"], "confidential");
    private static readonly AuthorizationGrant Crm = new("http.get", "https://crm.example/api", ["get"], null);
    private static readonly CallerIdentity SubAgent = CoreHarness.Caller("spiffe://a.example/agents/sub", BrokerRoles.Agent);
    private readonly CoreHarness _harness = new();

    private static HashSet<string> Scope(params string[] scopes) => scopes.ToHashSet(StringComparer.Ordinal);

    private async Task<(string TaskId, string Token, string Jti)> NewTaskAsync(TimeSpan? ttl = null)
    {
        var issued = await _harness.IssueAsync(CoreHarness.Draft(ttl) with { Authorization = [Payments, Crm], MayAct = ["spiffe://a.example/"] });
        return (issued.Task!.TaskId, issued.Token!, issued.Credential!.Jti);
    }

    private Task<ExchangeResult> TransactionAsync(CallerIdentity caller, string subjectToken, IReadOnlySet<string>? scopes, string? audience = TrustDomain, bool replacing = false) =>
        _harness.Exchange.ExchangeAsync(caller, new ExchangeRequest(subjectToken, RequestedToken.TransactionToken, audience, scopes, null) { SubjectIsTransactionToken = replacing }, CancellationToken.None).AsTask();

    private async Task<bool> IsActiveAsync(string token) =>
        await _harness.Introspection.IntrospectAsync(CoreHarness.Soc, token, CancellationToken.None) is not null;

    [Test]
    public async Task A_transaction_token_from_a_task_token_carries_the_drafts_claims_and_is_recorded_under_it()
    {
        var (taskId, token, jti) = await NewTaskAsync();

        var result = await TransactionAsync(CoreHarness.Agent, token, Scope("sql.query:read"));
        var header = JwtParts.Header(result.Token!);
        var claims = JwtParts.Payload(result.Token!);
        var stored = await _harness.Store.GetCredentialAsync(taskId, (string)claims["jti"]!, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Succeeded, Is.True, result.Description);
            Assert.That(result.IssuedTokenType, Is.EqualTo("urn:ietf:params:oauth:token-type:txn_token"));
            Assert.That(result.TokenType, Is.EqualTo("N_A"));
            Assert.That(result.Scope, Is.EqualTo("sql.query:read"));
            Assert.That(result.ExpiresIn, Is.EqualTo(120), "the 2-minute default cap, shorter than the task's 10 minutes");
            Assert.That((string?)header["typ"], Is.EqualTo("txntoken+jwt"));
            Assert.That((string?)claims["aud"], Is.EqualTo(TrustDomain));
            Assert.That((string?)claims["txn"], Is.EqualTo(taskId));
            Assert.That((string?)claims["sub"], Is.EqualTo(CoreHarness.Agent.Id.Value));
            Assert.That((string?)claims["scope"], Is.EqualTo("sql.query:read"));
            Assert.That((string?)claims["req_wl"], Is.EqualTo(CoreHarness.Agent.Id.Value));
            Assert.That((long?)claims["iat"], Is.EqualTo(CoreHarness.Start.ToUnixTimeSeconds()));
            Assert.That((long?)claims["exp"], Is.EqualTo(CoreHarness.Start.AddMinutes(2).ToUnixTimeSeconds()));
            Assert.That((string?)claims["tctx"]!["workflow"]!["id"], Is.EqualTo("wf-invoices"));
            Assert.That((string?)claims["tctx"]!["workflow"]!["designer"], Is.EqualTo("team-payments"));
            Assert.That((string?)claims["tctx"]!["approval"]!["id"], Is.EqualTo("CHG-1042"));
            Assert.That((string?)claims["tctx"]!["approval"]!["approver"], Is.EqualTo("alice@corp.example"));
            Assert.That(claims["tctx"]!["authorization_details"]!.AsArray(), Has.Count.EqualTo(1), "narrowed to the scope asked for");
            Assert.That(claims["tctx"]!["authorization_details"]![0]!["actions"]!.AsArray().Select(a => (string?)a), Is.EqualTo(new[] { "read" }));
            Assert.That((string?)claims["rctx"]!["authn"], Is.EqualTo("jwt_svid"));
            Assert.That((string?)claims["rctx"]!["requested_by"], Is.EqualTo("user:bob@corp.example"));
            Assert.That(claims.ContainsKey("cnf"), Is.False, "a transaction token is bound to no workload");
            Assert.That(claims.ContainsKey("act"), Is.False);
            Assert.That(stored!.Credential.Kind, Is.EqualTo(CredentialKind.TxnToken));
            Assert.That(stored.Credential.ParentJti, Is.EqualTo(jti));
            Assert.That(stored.Credential.Audience, Is.EqualTo(TrustDomain));
            Assert.That(stored.Credential.Holder, Is.EqualTo(CoreHarness.Agent.Id.Value));
        });
    }

    [Test]
    public async Task A_transaction_token_from_a_delegated_token_names_the_sub_agent_as_requester_and_actor()
    {
        var (taskId, token, _) = await NewTaskAsync();
        var delegated = await _harness.DelegateAsync(CoreHarness.Agent, token, "/agents/sub", Scope("sql.query:read", "sql.query:list"));

        var result = await TransactionAsync(SubAgent, delegated.Token!, Scope("sql.query:list"));
        var claims = JwtParts.Payload(result.Token!);
        var stored = await _harness.Store.GetCredentialAsync(taskId, (string)claims["jti"]!, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Succeeded, Is.True, result.Description);
            Assert.That((string?)claims["txn"], Is.EqualTo(taskId));
            Assert.That((string?)claims["sub"], Is.EqualTo(CoreHarness.Agent.Id.Value), "the principal stays the task's agent");
            Assert.That((string?)claims["req_wl"], Is.EqualTo(SubAgent.Id.Value));
            Assert.That((string?)claims["act"]!["sub"], Is.EqualTo(SubAgent.Id.Value));
            Assert.That(stored!.Credential.ParentJti, Is.EqualTo((string?)JwtParts.Payload(delegated.Token!)["jti"]));
        });
    }

    [Test]
    public async Task A_replacement_keeps_txn_sub_aud_and_rctx_appends_the_requester_and_may_narrow()
    {
        var (_, token, _) = await NewTaskAsync();
        var first = await TransactionAsync(CoreHarness.Agent, token, Scope("sql.query:read", "sql.query:list"));
        _harness.Time.Advance(TimeSpan.FromSeconds(30));

        var replaced = await TransactionAsync(CoreHarness.OtherAgent, first.Token!, Scope("sql.query:read"), replacing: true);
        var (before, after) = (JwtParts.Payload(first.Token!), JwtParts.Payload(replaced.Token!));

        Assert.Multiple(() =>
        {
            Assert.That(replaced.Succeeded, Is.True, replaced.Description);
            Assert.That((string?)after["txn"], Is.EqualTo((string?)before["txn"]));
            Assert.That((string?)after["sub"], Is.EqualTo((string?)before["sub"]));
            Assert.That((string?)after["aud"], Is.EqualTo((string?)before["aud"]));
            Assert.That(after["rctx"]!.ToJsonString(), Is.EqualTo(before["rctx"]!.ToJsonString()));
            Assert.That((string?)after["jti"], Is.Not.EqualTo((string?)before["jti"]));
            Assert.That((string?)after["req_wl"], Is.EqualTo($"{CoreHarness.Agent.Id.Value}, {CoreHarness.OtherAgent.Id.Value}"));
            Assert.That((string?)after["scope"], Is.EqualTo("sql.query:read"));
            Assert.That(replaced.ExpiresIn, Is.EqualTo(90), "never past the token it replaces");
        });
    }

    [Test]
    public async Task A_replacement_cannot_widen_the_scope_of_the_token_it_replaces()
    {
        var (_, token, _) = await NewTaskAsync();
        var first = await TransactionAsync(CoreHarness.Agent, token, Scope("sql.query:read"));

        var widened = await TransactionAsync(CoreHarness.Agent, first.Token!, Scope("sql.query:read", "http.get:get"), replacing: true);
        var same = await TransactionAsync(CoreHarness.Agent, first.Token!, Scope("sql.query:read"), replacing: true);

        Assert.Multiple(() =>
        {
            Assert.That(widened.Error, Is.EqualTo(ExchangeError.InvalidScope), "http.get:get is the task's, but not the replaced token's");
            Assert.That(same.Succeeded, Is.True, same.Description);
            Assert.That(same.Scope, Is.EqualTo("sql.query:read"));
        });
    }

    [Test]
    public async Task A_transaction_token_is_replaced_until_req_wl_names_the_most_requesters_it_may()
    {
        var (_, token, _) = await NewTaskAsync();
        var txn = (await TransactionAsync(CoreHarness.Agent, token, Scope("sql.query:read"))).Token!;
        for (var requesters = 1; requesters < TokenExchangeService.MaxTransactionRequesters; requesters++)
        {
            var replaced = await TransactionAsync(CoreHarness.Agent, txn, Scope("sql.query:read"), replacing: true);
            Assert.That(replaced.Succeeded, Is.True, $"replacement {requesters}: {replaced.Description}");
            txn = replaced.Token!;
        }

        var full = await TransactionAsync(CoreHarness.Agent, txn, Scope("sql.query:read"), replacing: true);

        Assert.Multiple(() =>
        {
            Assert.That(((string)JwtParts.Payload(txn)["req_wl"]!).Split(", "), Has.Length.EqualTo(TokenExchangeService.MaxTransactionRequesters));
            Assert.That(full.Error, Is.EqualTo(ExchangeError.InvalidGrant));
            Assert.That(full.Code, Is.EqualTo("depth-exceeded"));
        });
    }

    [Test]
    public async Task A_scope_wider_than_the_subject_or_none_at_all_is_refused()
    {
        var (_, token, _) = await NewTaskAsync();

        var wider = await TransactionAsync(CoreHarness.Agent, token, Scope("sql.query:write"));
        var none = await TransactionAsync(CoreHarness.Agent, token, scopes: null);
        var within = await TransactionAsync(CoreHarness.Agent, token, Scope("http.get:get"));

        Assert.Multiple(() =>
        {
            Assert.That(wider.Error, Is.EqualTo(ExchangeError.InvalidScope));
            Assert.That(none.Error, Is.EqualTo(ExchangeError.InvalidRequest));
            Assert.That(within.Succeeded, Is.True, within.Description);
        });
    }

    [Test]
    public async Task The_audience_must_be_the_trust_domain()
    {
        var (_, token, _) = await NewTaskAsync();

        var resource = await TransactionAsync(CoreHarness.Agent, token, Scope("sql.query:read"), audience: "postgres://payments");
        var trustDomain = await TransactionAsync(CoreHarness.Agent, token, Scope("sql.query:read"), audience: TrustDomain);

        Assert.Multiple(() =>
        {
            Assert.That(resource.Error, Is.EqualTo(ExchangeError.InvalidTarget));
            Assert.That(trustDomain.Succeeded, Is.True, trustDomain.Description);
        });
    }

    [Test]
    public async Task A_transaction_token_is_a_subject_only_for_its_replacement_and_only_when_declared_as_one()
    {
        var (_, token, _) = await NewTaskAsync();
        var txn = (await TransactionAsync(CoreHarness.Agent, token, Scope("sql.query:read"))).Token!;

        var forAccessToken = await _harness.Exchange.ExchangeAsync(CoreHarness.Agent,
            new ExchangeRequest(txn, RequestedToken.AccessToken, "postgres://payments", null, null) { SubjectIsTransactionToken = true }, CancellationToken.None);
        var undeclared = await TransactionAsync(CoreHarness.Agent, txn, Scope("sql.query:read"), replacing: false);
        var taskTokenAsTxn = await TransactionAsync(CoreHarness.Agent, token, Scope("sql.query:read"), replacing: true);
        var declared = await TransactionAsync(CoreHarness.Agent, txn, Scope("sql.query:read"), replacing: true);

        Assert.Multiple(() =>
        {
            Assert.That(forAccessToken.Error, Is.EqualTo(ExchangeError.InvalidRequest));
            Assert.That(undeclared.Error, Is.EqualTo(ExchangeError.InvalidGrant), "typ txntoken+jwt is not a task token");
            Assert.That(taskTokenAsTxn.Error, Is.EqualTo(ExchangeError.InvalidGrant), "typ task+jwt is not a transaction token");
            Assert.That(declared.Succeeded, Is.True, declared.Description);
        });
    }

    [Test]
    public async Task A_transaction_token_and_its_replacement_are_revoked_with_the_task()
    {
        var (taskId, token, _) = await NewTaskAsync();
        var txn = (await TransactionAsync(CoreHarness.Agent, token, Scope("sql.query:read"))).Token!;
        var replacement = (await TransactionAsync(CoreHarness.OtherAgent, txn, Scope("sql.query:read"), replacing: true)).Token!;
        var activeBefore = (await IsActiveAsync(txn), await IsActiveAsync(replacement));

        await _harness.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, taskId, TaskState.Completed, null, CancellationToken.None);
        var afterCompletion = await TransactionAsync(CoreHarness.Agent, txn, Scope("sql.query:read"), replacing: true);
        var activeAfter = (await IsActiveAsync(txn), await IsActiveAsync(replacement));

        Assert.Multiple(() =>
        {
            Assert.That(activeBefore, Is.EqualTo((true, true)));
            Assert.That(activeAfter, Is.EqualTo((false, false)));
            Assert.That(afterCompletion.Error, Is.EqualTo(ExchangeError.InvalidGrant));
        });
    }

    [Test]
    public async Task A_transaction_token_never_outlives_its_subject_and_an_expired_one_is_not_replaced()
    {
        var (_, token, _) = await NewTaskAsync(ttl: TimeSpan.FromMinutes(1));
        var txn = await TransactionAsync(CoreHarness.Agent, token, Scope("sql.query:read"));
        var fresh = await TransactionAsync(CoreHarness.Agent, txn.Token!, Scope("sql.query:read"), replacing: true);

        _harness.Time.Advance(TimeSpan.FromSeconds(61 + 30));
        var expired = await TransactionAsync(CoreHarness.Agent, txn.Token!, Scope("sql.query:read"), replacing: true);

        Assert.Multiple(() =>
        {
            Assert.That(txn.ExpiresIn, Is.EqualTo(60), "capped by the one-minute task token, below the 2-minute maximum");
            Assert.That(fresh.Succeeded, Is.True, fresh.Description);
            Assert.That(expired.Error, Is.EqualTo(ExchangeError.InvalidGrant));
        });
    }
}
