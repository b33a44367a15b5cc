using System.Diagnostics;

namespace CredentialBroker.Abstractions;

/// <summary>
/// The broker's telemetry names, an operational contract (docs/operations.md, "Telemetry"): one
/// <see cref="ActivitySource"/> and one meter, both named <see cref="Name"/>, and the names of the spans the broker
/// starts. Their attributes are named in <see cref="BrokerTelemetryTags"/>: ids (task ids, <c>jti</c>s, SPIFFE IDs,
/// resources) and outcomes — never a token, proof, password or other secret.
/// </summary>
public static class BrokerTelemetry
{
    /// <summary>The name of the broker's activity source and of its meter.</summary>
    public const string Name = "CredentialBroker";

    /// <summary><c>POST /v1/tasks</c>: a task and its task token issued (or refused).</summary>
    public const string TaskIssueSpan = "credentialbroker.task.issue";

    /// <summary><c>POST /v1/tasks/{id}/state</c>: a task's state change and the revocations it records.</summary>
    public const string TaskStateChangeSpan = "credentialbroker.task.state_change";

    /// <summary><c>POST /oauth2/token</c>: an RFC 8693 exchange (access token, delegated task token or downstream secret).</summary>
    public const string TokenExchangeSpan = "credentialbroker.token.exchange";

    /// <summary>Inside an exchange for a downstream secret: the call to the backend that creates it.</summary>
    public const string SecretIssueSpan = "credentialbroker.secret.issue";

    /// <summary><c>POST /oauth2/revoke</c>: an RFC 7009 revocation by a holder, the task's orchestrator or the SOC.</summary>
    public const string TokenRevokeSpan = "credentialbroker.token.revoke";

    /// <summary>The revoker finishing one credential's invalidation: feed, downstream revocation, verification, record.</summary>
    public const string RevocationProcessSpan = "credentialbroker.revocation.process";

    /// <summary>The revoker trying an irrevocable (or late-created) credential's downstream revocation again.</summary>
    public const string RevocationRetrySpan = "credentialbroker.revocation.retry";

    /// <summary>One attempt to revoke a credential downstream (a child of a process or retry span).</summary>
    public const string DownstreamRevokeSpan = "credentialbroker.downstream.revoke";

    /// <summary>One probe that a credential revoked downstream no longer works (a child of a process or retry span).</summary>
    public const string DownstreamVerifySpan = "credentialbroker.downstream.verify";

    /// <summary>A SOC bulk revocation's fan-out: every matched credential's subtree revoked at the broker.</summary>
    public const string BulkRevocationFanOutSpan = "credentialbroker.bulk_revocation.fan_out";

    /// <summary>The broker's activity source, named <see cref="Name"/>.</summary>
    public static ActivitySource Source { get; } = new(Name, typeof(BrokerTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>
    /// Sets <paramref name="key"/> on the current activity when it is one of the broker's own, so that a tag set deep in a
    /// service never lands on a host's span (ASP.NET Core's request span, say) when the broker's span is not sampled.
    /// </summary>
    public static void TagCurrent(string key, object? value)
    {
        if (Activity.Current is { } current && ReferenceEquals(current.Source, Source))
        {
            current.SetTag(key, value);
        }
    }

    /// <summary>
    /// Marks <paramref name="activity"/> as ended by <paramref name="exception"/>: status error and <c>error.type</c>, the
    /// exception's type. Never its message, which may quote what a backend was sent.
    /// </summary>
    public static void Failed(Activity? activity, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        activity?.SetStatus(ActivityStatusCode.Error).SetTag(BrokerTelemetryTags.ErrorType, exception.GetType().FullName);
    }
}
