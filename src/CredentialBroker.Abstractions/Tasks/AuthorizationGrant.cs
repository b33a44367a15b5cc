namespace CredentialBroker.Abstractions.Tasks;

/// <summary>One thing a task may do: a tool, against a destination, with these actions, on data of this class.</summary>
public sealed record AuthorizationGrant(string Tool, string Destination, IReadOnlyList<string> Actions, string? DataClass);
