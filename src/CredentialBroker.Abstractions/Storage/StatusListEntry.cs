namespace CredentialBroker.Abstractions.Storage;

/// <summary>
/// Where a credential's status lives in a Token Status List (draft-ietf-oauth-status-list): the list's id (its URI is
/// <c>&lt;issuer&gt;/v1/status-lists/&lt;id&gt;</c>) and the credential's index in it. Allocated by the store in the same atomic
/// step that records the credential, so no two credentials ever share an entry.
/// </summary>
/// <param name="List">The list's id, <c>&lt;shard&gt;-&lt;generation&gt;</c>.</param>
/// <param name="Index">The credential's index in the list, from 0 to <see cref="StatusLists.Size"/> − 1.</param>
public sealed record StatusListEntry(string List, int Index);
