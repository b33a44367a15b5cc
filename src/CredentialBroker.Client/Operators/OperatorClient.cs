namespace CredentialBroker.Client.Operators;

/// <summary>
/// The operator's calls: permit a task to continue past its deadline, which the boundary log records as the operator's
/// decision. Needs the broker's <c>operator</c> role. The boundary log itself is read with <see cref="Audit.AuditClient"/>.
/// </summary>
public sealed class OperatorClient : BrokerClient
{
    internal OperatorClient(BrokerChannel channel)
        : base(channel)
    {
    }

    /// <summary>
    /// Permits the task <paramref name="taskId"/> to continue for <paramref name="extension"/> more (whole seconds, rounded up;
    /// bounded by policy), for <paramref name="reason"/> (<c>POST /v1/tasks/{id}/continuation</c>). The answer carries a
    /// fresh task token for the agent; the old one is revoked. Beyond the policy's limit is <c>policy-denied</c>; an ended
    /// task is <c>conflict</c>.
    /// </summary>
    public Task<BrokerResult<TaskContinuation>> ContinueTaskAsync(string taskId, TimeSpan extension, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(extension, TimeSpan.Zero);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"v1/tasks/{Uri.EscapeDataString(taskId)}/continuation", UriKind.Relative))
        {
            Content = BrokerChannel.Json(new ContinuationRequest((long)Math.Ceiling(extension.TotalSeconds), reason)),
        };
        return Channel.SendAsync(request, BrokerChannel.ReadJsonAsync<TaskContinuation>, cancellationToken);
    }
}
