namespace CredentialBroker.Client.Orchestrators;

/// <summary>
/// The orchestrator's calls: create a task for an agent and receive its task token, read the task, change its state
/// (a terminal state revokes every credential of the task at once). Needs the broker's <c>orchestrator</c> role.
/// Resolve it from the container after <see cref="BrokerClientServiceCollectionExtensions.AddCredentialBrokerClient(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{BrokerClientOptions})"/>.
/// </summary>
public sealed class OrchestratorClient : BrokerClient
{
    private const string IdempotencyKeyHeader = "Idempotency-Key";

    internal OrchestratorClient(BrokerChannel channel)
        : base(channel)
    {
    }

    /// <summary>
    /// Creates a task (<c>POST /v1/tasks</c>). Every call carries an <c>Idempotency-Key</c> — <paramref name="idempotencyKey"/>,
    /// or a fresh one — so a retry after a lost answer gets the same task back instead of a second one.
    /// </summary>
    public Task<BrokerResult<IssuedTask>> CreateTaskAsync(TaskRequest task, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("v1/tasks", UriKind.Relative)) { Content = BrokerChannel.Json(task) };
        request.Headers.Add(IdempotencyKeyHeader, idempotencyKey ?? Guid.NewGuid().ToString("N"));
        request.Options.Set(BrokerChannel.Idempotent, true);
        return Channel.SendAsync(request, BrokerChannel.ReadJsonAsync<IssuedTask>, cancellationToken);
    }

    /// <summary>Reads a task and its credentials (<c>GET /v1/tasks/{id}</c>); another orchestrator's task is <c>not-found</c>.</summary>
    public Task<BrokerResult<TaskView>> GetTaskAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"v1/tasks/{Uri.EscapeDataString(taskId)}", UriKind.Relative));
        return Channel.SendAsync(request, BrokerChannel.ReadJsonAsync<TaskView>, cancellationToken);
    }

    /// <summary>
    /// Changes a task's state (<c>POST /v1/tasks/{id}/state</c>, one of <see cref="TaskStates"/>). Asking for the current
    /// state changes nothing, so a retry is harmless; an illegal transition is <c>conflict</c>. The answer's
    /// <see cref="TaskView.Revoked"/> counts the credentials this change revoked.
    /// </summary>
    public Task<BrokerResult<TaskView>> ChangeStateAsync(string taskId, string state, string? reason = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        ArgumentException.ThrowIfNullOrEmpty(state);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"v1/tasks/{Uri.EscapeDataString(taskId)}/state", UriKind.Relative))
        {
            Content = BrokerChannel.Json(new TaskStateChange(state, reason)),
        };
        request.Options.Set(BrokerChannel.Idempotent, true);
        return Channel.SendAsync(request, BrokerChannel.ReadJsonAsync<TaskView>, cancellationToken);
    }
}
