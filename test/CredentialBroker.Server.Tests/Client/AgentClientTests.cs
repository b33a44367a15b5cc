using CredentialBroker.Client.Agents;
using CredentialBroker.Client.Orchestrators;
using CredentialBroker.Server.Tests.Downstream;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Client;

/// <summary>The agent's calls of CredentialBroker.Client against a broker on a real redis-server.</summary>
public sealed class AgentClientTests : IAsyncDisposable
{
    private readonly BrokerApp _app = BrokerApp.Redis();
    private readonly List<IAsyncDisposable> _disposables = [];
    private BrokerClients? _clients;

    private BrokerClients Clients => _clients ??= BrokerClients.For(_app, paths: [BrokerApp.Orchestrator, BrokerApp.Agent, BrokerApp.OtherAgent]);

    public async ValueTask DisposeAsync()
    {
        if (_clients is not null)
        {
            await _clients.DisposeAsync();
        }

        _app.Dispose();
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }
    }

    private async Task<IssuedTask> NewTaskAsync(TaskRequest? request = null) =>
        (await Clients.Orchestrator().CreateTaskAsync(request ?? BrokerClients.Task(_app))).Value;

    [Test]
    public async Task ExchangeAsync_returns_an_access_token_for_the_resource_bound_to_the_agent()
    {
        var task = await NewTaskAsync();

        var token = (await Clients.Agent().ExchangeAsync(task.Token, "postgres://payments")).Value;
        var claims = JwtParts.Payload(token.Token);
        var introspection = (await Clients.Agent().IntrospectAsync(token.Token)).Value;

        Assert.Multiple(() =>
        {
            Assert.That(token.IssuedTokenType, Is.EqualTo(TokenTypes.AccessToken));
            Assert.That(token.TokenType, Is.EqualTo("Bearer"));
            Assert.That(token.ExpiresAt, Is.GreaterThan(_app.Time.GetUtcNow()).And.LessThanOrEqualTo(task.ExpiresAt.AddSeconds(1)));
            Assert.That((string?)claims["aud"], Is.EqualTo("postgres://payments"));
            Assert.That(introspection.Active, Is.True);
            Assert.That(introspection.TaskId, Is.EqualTo(task.TaskId));
        });
    }

    [Test]
    public async Task ExchangeAsync_of_another_agents_task_token_is_invalid_grant_subject_not_bound()
    {
        var task = await NewTaskAsync();

        var holder = await Clients.Agent().ExchangeAsync(task.Token, "postgres://payments");
        var thief = await Clients.Agent(BrokerApp.OtherAgent).ExchangeAsync(task.Token, "postgres://payments");

        Assert.Multiple(() =>
        {
            Assert.That(holder.IsSuccess, Is.True, holder.ToString());
            Assert.That(thief.Error?.Status, Is.EqualTo(400));
            Assert.That(thief.Error?.Error, Is.EqualTo("invalid_grant"));
            Assert.That(thief.Error?.Code, Is.EqualTo("subject-not-bound"));
            Assert.That(thief.Error?.Description, Does.Not.Contain(task.Token), "never token material in an error");
        });
    }

    [Test]
    public async Task ExchangeAsync_for_a_resource_the_task_does_not_grant_is_invalid_target()
    {
        var task = await NewTaskAsync();

        var granted = await Clients.Agent().ExchangeAsync(task.Token, "postgres://payments");
        var other = await Clients.Agent().ExchangeAsync(task.Token, "postgres://hr");

        Assert.Multiple(() =>
        {
            Assert.That(granted.IsSuccess, Is.True, granted.ToString());
            Assert.That(other.Error?.Error, Is.EqualTo("invalid_target"));
            Assert.That(other.Error?.Code, Is.EqualTo("target-not-granted"));
        });
    }

    [Test]
    public async Task GetAccessTokenAsync_reuses_the_token_until_it_is_about_to_expire_then_exchanges_again()
    {
        var task = await NewTaskAsync();
        var agent = Clients.Agent();

        var first = (await agent.GetAccessTokenAsync(task.Token, "postgres://payments")).Value;
        var reused = (await agent.GetAccessTokenAsync(task.Token, "postgres://payments")).Value;
        _app.Time.SetUtcNow(first.ExpiresAt - TimeSpan.FromSeconds(29)); // inside the default RenewBefore of 30 s
        var renewed = (await agent.GetAccessTokenAsync(task.Token, "postgres://payments")).Value;

        Assert.Multiple(() =>
        {
            Assert.That(reused.Token, Is.SameAs(first.Token));
            Assert.That(JwtParts.Payload(renewed.Token)["jti"]?.ToString(), Is.Not.EqualTo(JwtParts.Payload(first.Token)["jti"]?.ToString()));
            Assert.That(renewed.ExpiresAt, Is.GreaterThan(first.ExpiresAt));
        });
    }

    [Test]
    public async Task TransactionTokenAsync_and_its_replacement_by_another_agent_keep_the_transaction_and_never_widen()
    {
        var task = await NewTaskAsync();

        var txn = (await Clients.Agent().TransactionTokenAsync(task.Token, BrokerApp.TestIssuer, "sql.query:read")).Value;
        var replaced = await Clients.Agent(BrokerApp.OtherAgent).ReplaceTransactionTokenAsync(txn.Token, BrokerApp.TestIssuer, "sql.query:read");
        var widened = await Clients.Agent(BrokerApp.OtherAgent).ReplaceTransactionTokenAsync(txn.Token, BrokerApp.TestIssuer, "sql.query:read sql.query:write");

        Assert.Multiple(() =>
        {
            Assert.That(txn.IssuedTokenType, Is.EqualTo(TokenTypes.TxnToken));
            Assert.That(txn.TokenType, Is.EqualTo("N_A"));
            Assert.That((string?)JwtParts.Payload(txn.Token)["txn"], Is.EqualTo(task.TaskId));
            Assert.That(replaced.IsSuccess, Is.True, replaced.ToString());
            Assert.That((string?)JwtParts.Payload(replaced.Value.Token)["txn"], Is.EqualTo(task.TaskId));
            Assert.That((string?)JwtParts.Payload(replaced.Value.Token)["req_wl"], Is.EqualTo($"{_app.AgentId}, {_app.Trust.Id(BrokerApp.OtherAgent)}"));
            Assert.That(widened.Error?.Error, Is.EqualTo("invalid_scope"));
        });
    }

    [Test]
    public async Task DelegateAsync_binds_a_task_token_to_the_sub_agent_which_exchanges_it()
    {
        var task = await NewTaskAsync();

        var delegated = (await Clients.Agent().DelegateAsync(task.Token, _app.Trust.Id(BrokerApp.OtherAgent))).Value;
        var bySubAgent = await Clients.Agent(BrokerApp.OtherAgent).ExchangeAsync(delegated.Token, "postgres://payments");

        Assert.Multiple(() =>
        {
            Assert.That(delegated.IssuedTokenType, Is.EqualTo(TokenTypes.Task));
            Assert.That(bySubAgent.IsSuccess, Is.True, bySubAgent.ToString());
            Assert.That(JwtParts.Payload(bySubAgent.Value.Token)["act"]?["sub"]?.ToString(), Is.EqualTo(_app.Trust.Id(BrokerApp.OtherAgent)), "the sub-agent acts");
        });
    }

    [Test]
    public async Task DelegateAsync_with_the_sub_agents_svid_for_the_broker_is_refused_as_a_credential_handed_over()
    {
        var task = await NewTaskAsync();

        var result = await Clients.Agent().DelegateAsync(task.Token, _app.Svid(BrokerApp.OtherAgent), actorTokenType: TokenTypes.Jwt);

        Assert.Multiple(() =>
        {
            Assert.That(result.Error?.Error, Is.EqualTo("invalid_request"));
            Assert.That(result.Error?.Code, Is.EqualTo("actor-svid-for-broker"));
        });
    }

    [Test]
    public async Task DelegateAsync_beyond_the_tasks_delegation_depth_is_invalid_grant_depth_exceeded()
    {
        var task = await NewTaskAsync(BrokerClients.Task(_app, maxDelegationDepth: 0));

        var result = await Clients.Agent().DelegateAsync(task.Token, _app.Trust.Id(BrokerApp.OtherAgent));

        Assert.Multiple(() =>
        {
            Assert.That(result.Error?.Error, Is.EqualTo("invalid_grant"));
            Assert.That(result.Error?.Code, Is.EqualTo("depth-exceeded"));
        });
    }

    [Test]
    public async Task GetSecretAsync_returns_a_redis_login_that_works()
    {
        var backend = await SecretBackend.CreateAsync("redis");
        _disposables.Add(backend);
        backend.Configure(_app.Settings);
        var task = await NewTaskAsync(BrokerClients.Task(_app, backend.Resource));

        var secret = (await Clients.Agent().GetSecretAsync(task.Token, backend.Resource)).Value;
        await using var session = await backend.LogInAsync(new System.Text.Json.Nodes.JsonObject
        {
            ["kind"] = secret.Kind,
            ["endpoints"] = new System.Text.Json.Nodes.JsonArray([.. secret.Endpoints.Select(e => System.Text.Json.Nodes.JsonValue.Create(e))]),
            ["username"] = secret.Username,
            ["password"] = secret.Password,
        });

        Assert.Multiple(() =>
        {
            Assert.That(secret.Kind, Is.EqualTo("redis"));
            Assert.That(secret.Resource, Is.EqualTo(backend.Resource));
            Assert.That(secret.ToString(), Does.Not.Contain(secret.Password), "a secret never shows its password");
            Assert.That(session, Is.Not.Null, "the backend accepts the login");
        });
    }

    [Test]
    public async Task GetSecretAsync_for_a_resource_without_a_provider_is_secret_provider_unknown()
    {
        var task = await NewTaskAsync();

        var result = await Clients.Agent().GetSecretAsync(task.Token, "postgres://payments");

        Assert.Multiple(() =>
        {
            Assert.That(result.Error?.Code, Is.EqualTo("secret-provider-unknown"));
            Assert.That(result.Error?.Error, Is.Not.Null, "an OAuth error");
        });
    }

    [Test]
    public async Task RevokeTokenAsync_revokes_the_access_token_and_only_it()
    {
        var task = await NewTaskAsync();
        var agent = Clients.Agent();
        var token = (await agent.ExchangeAsync(task.Token, "postgres://payments")).Value;

        (await agent.RevokeTokenAsync(token.Token)).EnsureSuccess();

        Assert.Multiple(async () =>
        {
            Assert.That((await agent.IntrospectAsync(token.Token)).Value.Active, Is.False);
            Assert.That((await agent.IntrospectAsync(task.Token)).Value.Active, Is.True, "its parent stays");
        });
    }
}
