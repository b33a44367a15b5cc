namespace CredentialBroker.Abstractions.Audit;

/// <summary>
/// A boundary-log event about to be appended: what it concerns and its body, a JSON object (time, type, actor, the
/// task's origin, workflow and approval, the delegation chain, the decision). The store links it into a hash chain in
/// the same atomic step as the action it authorises.
/// </summary>
/// <param name="Type">The event type (<see cref="AuditEventTypes"/>).</param>
/// <param name="TaskId">The task it concerns, if any: its chain is the task's, and the task's trace lists it.</param>
/// <param name="Body">The event as a JSON object, exactly as it will be stored and hashed.</param>
public sealed record AuditEvent(string Type, string? TaskId, string Body);
