namespace CredentialBroker.Client.Soc;

/// <summary>How many credentials a selector matched, by kind and by resource.</summary>
public sealed class RevocationMatch
{
    /// <summary>All matched credentials.</summary>
    public int Total { get; init; }

    /// <summary>By kind: <c>task</c>, <c>delegated</c>, <c>access_token</c>, <c>secret</c>.</summary>
    public IReadOnlyDictionary<string, int> ByKind { get; init; } = new Dictionary<string, int>();

    /// <summary>By resource: <c>broker</c> for task tokens, else the audience or resource.</summary>
    public IReadOnlyDictionary<string, int> ByResource { get; init; } = new Dictionary<string, int>();
}
