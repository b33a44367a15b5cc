using CredentialBroker.Client.Orchestrators;

namespace CredentialBroker.Server.Tests.Client;

/// <summary>The orchestrator's calls of CredentialBroker.Client against a broker on a real redis-server.</summary>
public sealed class OrchestratorClientTests : IAsyncDisposable
{
    private readonly BrokerApp _app = BrokerApp.Redis();
    private BrokerClients? _clients;

    private BrokerClients Clients => _clients ??= BrokerClients.For(_app, paths: [BrokerApp.Orchestrator, BrokerApp.Agent]);

    public async ValueTask DisposeAsync()
    {
        if (_clients is not null)
        {
            await _clients.DisposeAsync();
        }

        _app.Dispose();
    }

    [Test]
    public async Task CreateTaskAsync_returns_an_active_task_token_bound_to_the_agent()
    {
        var orchestrator = Clients.Orchestrator();

        var task = (await orchestrator.CreateTaskAsync(BrokerClients.Task(_app))).Value;
        var introspection = (await orchestrator.IntrospectAsync(task.Token)).Value;

        Assert.Multiple(() =>
        {
            Assert.That(task.TaskId, Does.StartWith("tsk_"));
            Assert.That(task.State, Is.EqualTo(TaskStates.Created));
            Assert.That(task.ExpiresAt, Is.EqualTo(_app.Time.GetUtcNow().AddMinutes(10)).Within(TimeSpan.FromSeconds(2)));
            Assert.That(introspection.Active, Is.True);
            Assert.That(introspection.Jti, Is.EqualTo(task.Jti));
            Assert.That(introspection.Holder, Is.EqualTo(_app.AgentId));
        });
    }

    [Test]
    public async Task CreateTaskAsync_fails_with_a_validation_error_naming_the_field_when_the_ttl_is_zero()
    {
        var valid = await Clients.Orchestrator().CreateTaskAsync(BrokerClients.Task(_app));
        var result = await Clients.Orchestrator().CreateTaskAsync(BrokerClients.Task(_app) with { Ttl = TimeSpan.Zero });

        Assert.Multiple(() =>
        {
            Assert.That(valid.IsSuccess, Is.True, valid.ToString());
            Assert.That(result.IsSuccess, Is.False);
            Assert.That(result.Error!.Status, Is.EqualTo(400));
            Assert.That(result.Error.Code, Is.EqualTo("validation"));
            Assert.That(result.Error.Error, Is.Null, "a REST endpoint: problem details, no OAuth error");
            Assert.That(result.Error.FieldErrors.Keys, Has.Some.Contains("ttlSeconds"));
        });
    }

    [Test]
    public async Task CreateTaskAsync_with_the_same_idempotency_key_returns_the_same_task_and_with_another_key_a_new_one()
    {
        var orchestrator = Clients.Orchestrator();

        var first = (await orchestrator.CreateTaskAsync(BrokerClients.Task(_app), "key-1")).Value;
        var again = (await orchestrator.CreateTaskAsync(BrokerClients.Task(_app), "key-1")).Value;
        var other = (await orchestrator.CreateTaskAsync(BrokerClients.Task(_app), "key-2")).Value;

        Assert.Multiple(() =>
        {
            Assert.That(again.TaskId, Is.EqualTo(first.TaskId));
            Assert.That(other.TaskId, Is.Not.EqualTo(first.TaskId));
        });
    }

    [Test]
    public async Task CreateTaskAsync_by_a_workload_without_the_orchestrator_role_is_forbidden()
    {
        var asOrchestrator = await Clients.Orchestrator().CreateTaskAsync(BrokerClients.Task(_app));
        var asAgent = await Clients.Orchestrator(BrokerApp.Agent).CreateTaskAsync(BrokerClients.Task(_app));

        Assert.Multiple(() =>
        {
            Assert.That(asOrchestrator.IsSuccess, Is.True, asOrchestrator.ToString());
            Assert.That(asAgent.Error?.Status, Is.EqualTo(403));
            Assert.That(asAgent.Error?.Code, Is.EqualTo("forbidden"));
        });
    }

    [Test]
    public async Task ChangeStateAsync_to_completed_revokes_the_task_token_and_counts_it()
    {
        var orchestrator = Clients.Orchestrator();
        var task = (await orchestrator.CreateTaskAsync(BrokerClients.Task(_app))).Value;

        var running = (await orchestrator.ChangeStateAsync(task.TaskId, TaskStates.Running)).Value;
        var completed = (await orchestrator.ChangeStateAsync(task.TaskId, TaskStates.Completed, "done")).Value;
        var view = (await orchestrator.GetTaskAsync(task.TaskId)).Value;
        var introspection = (await orchestrator.IntrospectAsync(task.Token)).Value;

        Assert.Multiple(() =>
        {
            Assert.That(running.State, Is.EqualTo(TaskStates.Running));
            Assert.That(completed.State, Is.EqualTo(TaskStates.Completed));
            Assert.That(completed.Revoked, Is.EqualTo(1));
            Assert.That(view.Credentials.Single().Status, Is.EqualTo("revoked"));
            Assert.That(introspection.Active, Is.False);
        });
    }

    [Test]
    public async Task ChangeStateAsync_out_of_a_terminal_state_is_a_conflict()
    {
        var orchestrator = Clients.Orchestrator();
        var task = (await orchestrator.CreateTaskAsync(BrokerClients.Task(_app))).Value;
        (await orchestrator.ChangeStateAsync(task.TaskId, TaskStates.Completed)).EnsureSuccess();

        var result = await orchestrator.ChangeStateAsync(task.TaskId, TaskStates.Running);

        Assert.Multiple(() =>
        {
            Assert.That(result.Error?.Status, Is.EqualTo(409));
            Assert.That(result.Error?.Code, Is.EqualTo("conflict"));
            Assert.That(() => result.Value, Throws.TypeOf<CredentialBroker.Client.BrokerRequestException>());
        });
    }

    [Test]
    public async Task GetTaskAsync_of_an_unknown_task_is_not_found()
    {
        var orchestrator = Clients.Orchestrator();
        var task = (await orchestrator.CreateTaskAsync(BrokerClients.Task(_app))).Value;

        var known = await orchestrator.GetTaskAsync(task.TaskId);
        var unknown = await orchestrator.GetTaskAsync("tsk_unknown");

        Assert.Multiple(() =>
        {
            Assert.That(known.Value.Agent, Is.EqualTo(_app.AgentId));
            Assert.That(unknown.Error?.Status, Is.EqualTo(404));
            Assert.That(unknown.Error?.Code, Is.EqualTo("not-found"));
        });
    }
}
