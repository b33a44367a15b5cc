using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;

namespace CredentialBroker.Abstractions.Policy;

/// <summary>
/// Which credential kinds a non-terminal state change revokes, by default and per workflow. The default:
/// pausing a task or sending it to await an approval revokes its downstream credentials (access tokens,
/// secrets and transaction tokens) but keeps its task tokens, so the agent exchanges again when it resumes. Terminal states revoke
/// everything and are not configurable.
/// </summary>
public sealed class StateRevocation
{
    /// <summary>The built-in table.</summary>
    public static readonly StateRevocation Default = new(new Dictionary<TaskState, IReadOnlyCollection<CredentialKind>>
    {
        [TaskState.Paused] = [CredentialKind.AccessToken, CredentialKind.Secret, CredentialKind.TxnToken],
        [TaskState.AwaitingApproval] = [CredentialKind.AccessToken, CredentialKind.Secret, CredentialKind.TxnToken],
    }, new Dictionary<string, IReadOnlyDictionary<TaskState, IReadOnlyCollection<CredentialKind>>>(StringComparer.Ordinal));

    private readonly IReadOnlyDictionary<TaskState, IReadOnlyCollection<CredentialKind>> _default;
    private readonly IReadOnlyDictionary<string, IReadOnlyDictionary<TaskState, IReadOnlyCollection<CredentialKind>>> _workflows;

    /// <summary>Creates a table: the default entries, and per-workflow entries that replace them state by state.</summary>
    public StateRevocation(
        IReadOnlyDictionary<TaskState, IReadOnlyCollection<CredentialKind>> defaults,
        IReadOnlyDictionary<string, IReadOnlyDictionary<TaskState, IReadOnlyCollection<CredentialKind>>> workflows)
    {
        _default = defaults;
        _workflows = workflows;
    }

    /// <summary>The kinds revoked when a task of <paramref name="workflowId"/> enters <paramref name="state"/>.</summary>
    public IReadOnlyCollection<CredentialKind> RevokedOnEntering(string workflowId, TaskState state)
    {
        if (TaskStateMachine.IsTerminal(state))
        {
            return Enum.GetValues<CredentialKind>();
        }

        if (_workflows.TryGetValue(workflowId, out var table) && table.TryGetValue(state, out var kinds))
        {
            return kinds;
        }

        return _default.TryGetValue(state, out var defaults) ? defaults : [];
    }
}
