using CredentialBroker.Abstractions.Audit;

namespace CredentialBroker.Testing;

/// <summary>Boundary-log events for tests that call a store directly: every recorded action needs one.</summary>
public static class TestAudit
{
    /// <summary>An event about <paramref name="taskId"/> (or about no task).</summary>
    public static AuditEvent For(string? taskId) =>
        AuditEvents.Create("test.action", DateTimeOffset.UnixEpoch, "spiffe://test.example/tests", taskId, null, null);
}
