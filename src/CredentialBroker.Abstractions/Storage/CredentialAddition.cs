namespace CredentialBroker.Abstractions.Storage;

/// <summary>The outcome of <see cref="ICredentialStore.AddCredentialAsync"/>.</summary>
public enum CredentialAddition
{
    /// <summary>The credential is recorded.</summary>
    Added,

    /// <summary>There is no such task.</summary>
    TaskNotFound,

    /// <summary>The task's state does not allow new credentials; nothing was recorded.</summary>
    TaskClosed,

    /// <summary>The parent credential is missing, revoked or expired; nothing was recorded.</summary>
    ParentInactive,

    /// <summary>The task already holds as many credentials as a task may; nothing was recorded.</summary>
    TaskFull,
}
