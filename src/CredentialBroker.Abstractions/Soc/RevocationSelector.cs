using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;

namespace CredentialBroker.Abstractions.Soc;

/// <summary>
/// Which credentials a SOC revocation or incident is about. Members combine with AND; an absent member matches
/// everything. A selector with no member at all is refused (it would match the whole fleet by accident).
/// </summary>
/// <param name="Workload">The holder: an exact SPIFFE ID, or a path prefix ending in <c>/</c>.</param>
/// <param name="WorkflowId">The workflow of the credential's task.</param>
/// <param name="TaskId">The credential's task.</param>
/// <param name="ApprovalId">The approval behind the credential's task.</param>
/// <param name="Approver">Who approved the credential's task.</param>
/// <param name="Resource">The resource (audience) the credential is for; task tokens have none.</param>
/// <param name="DerivedFrom">A <c>jti</c>: that credential and its whole subtree.</param>
/// <param name="IssuedAfter">Issued at or after this instant.</param>
/// <param name="IssuedBefore">Issued before this instant.</param>
public sealed record RevocationSelector(
    string? Workload = null,
    string? WorkflowId = null,
    string? TaskId = null,
    string? ApprovalId = null,
    string? Approver = null,
    string? Resource = null,
    string? DerivedFrom = null,
    DateTimeOffset? IssuedAfter = null,
    DateTimeOffset? IssuedBefore = null)
{
    /// <summary>Whether no member is set.</summary>
    public bool IsEmpty => Workload is null && WorkflowId is null && TaskId is null && ApprovalId is null && Approver is null
        && Resource is null && DerivedFrom is null && IssuedAfter is null && IssuedBefore is null;

    /// <summary>What is wrong with the selector, or <see langword="null"/> when it can be used.</summary>
    public string? Validate()
    {
        if (IsEmpty)
        {
            return "The selector is empty: name at least one of workload, workflowId, taskId, approvalId, approver, resource, derivedFrom, issuedAfter, issuedBefore.";
        }

        if (Workload is not null && !SpiffeIdPattern.TryParse(Workload, out _, out var error))
        {
            return $"selector.workload is neither a SPIFFE ID nor a SPIFFE ID path prefix ending in '/': {error}";
        }

        foreach (var (name, value) in new[] { ("workflowId", WorkflowId), ("taskId", TaskId), ("approvalId", ApprovalId), ("approver", Approver), ("resource", Resource), ("derivedFrom", DerivedFrom) })
        {
            if (value is not null && (value.Length == 0 || value.Length > 512))
            {
                return $"selector.{name} must be 1 to 512 characters.";
            }
        }

        return IssuedAfter is { } after && IssuedBefore is { } before && after >= before
            ? "selector.issuedAfter must be earlier than selector.issuedBefore."
            : null;
    }

    /// <summary>
    /// Whether <paramref name="credential"/> of <paramref name="task"/> matches every member except
    /// <see cref="DerivedFrom"/>, which needs the credential's ancestry (see <c>SelectorMatch</c>).
    /// </summary>
    public bool MatchesIgnoringAncestry(CredentialRecord credential, TaskRecord task)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(task);
        return (Workload is null || SpiffeIdPattern.Matches(Workload, credential.Holder))
            && (WorkflowId is null || string.Equals(task.Workflow.Id, WorkflowId, StringComparison.Ordinal))
            && (TaskId is null || string.Equals(task.TaskId, TaskId, StringComparison.Ordinal))
            && (ApprovalId is null || string.Equals(task.Approval?.Id, ApprovalId, StringComparison.Ordinal))
            && (Approver is null || string.Equals(task.Approval?.Approver, Approver, StringComparison.Ordinal))
            && (Resource is null || string.Equals(credential.Audience, Resource, StringComparison.Ordinal))
            && (IssuedAfter is null || credential.IssuedAt.ToUnixTimeSeconds() >= IssuedAfter.Value.ToUnixTimeSeconds())
            && (IssuedBefore is null || credential.IssuedAt < IssuedBefore.Value);
    }
}
