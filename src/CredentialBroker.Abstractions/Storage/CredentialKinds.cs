using System.Diagnostics.CodeAnalysis;

namespace CredentialBroker.Abstractions.Storage;

/// <summary>Wire names of <see cref="CredentialKind"/> and <see cref="CredentialStatus"/>, as the API and the stores spell them.</summary>
public static class CredentialKinds
{
    /// <summary>The wire name of a kind: <c>task</c>, <c>delegated</c>, <c>access_token</c>, <c>secret</c> or <c>txn_token</c>.</summary>
    public static string ToWireName(CredentialKind kind) => kind switch
    {
        CredentialKind.Task => "task",
        CredentialKind.Delegated => "delegated",
        CredentialKind.AccessToken => "access_token",
        CredentialKind.Secret => "secret",
        CredentialKind.TxnToken => "txn_token",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Parses a wire name; exact and case-sensitive.</summary>
    public static bool TryParseWireName([NotNullWhen(true)] string? name, out CredentialKind kind) => WireNames.TryParse(name, ToWireName, out kind);

    /// <summary>The wire name of a status: <c>active</c>, <c>revoked</c> or <c>expired</c>.</summary>
    public static string ToWireName(CredentialStatus status) => status switch
    {
        CredentialStatus.Active => "active",
        CredentialStatus.Revoked => "revoked",
        CredentialStatus.Expired => "expired",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };
}
