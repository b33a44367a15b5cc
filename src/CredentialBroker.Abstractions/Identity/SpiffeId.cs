using System.Diagnostics.CodeAnalysis;

namespace CredentialBroker.Abstractions.Identity;

/// <summary>
/// A SPIFFE ID naming a workload: <c>spiffe://trust-domain/path</c>, parsed strictly per the SPIFFE-ID
/// specification. Anything the specification leaves ambiguous is rejected rather than normalised:
/// uppercase trust domains, ports, user info, queries, fragments, percent-encoding, empty, <c>.</c> or
/// <c>..</c> segments, trailing slashes, IDs over 2048 bytes and IDs without a path.
/// </summary>
public sealed class SpiffeId : IEquatable<SpiffeId>
{
    /// <summary>The longest SPIFFE ID accepted, in bytes (SPIFFE-ID specification §2.3).</summary>
    public const int MaxLength = 2048;

    private const string Scheme = "spiffe://";

    private SpiffeId(string value, int trustDomainLength)
    {
        Value = value;
        TrustDomain = value.Substring(Scheme.Length, trustDomainLength);
        Path = value[(Scheme.Length + trustDomainLength)..];
    }

    /// <summary>The whole ID, for example <c>spiffe://corp.example/agents/invoice-bot</c>.</summary>
    public string Value { get; }

    /// <summary>The trust domain name, for example <c>corp.example</c>.</summary>
    public string TrustDomain { get; }

    /// <summary>The path, starting with <c>/</c>, for example <c>/agents/invoice-bot</c>.</summary>
    public string Path { get; }

    /// <summary>Parses a workload SPIFFE ID, or says why it is not one.</summary>
    /// <param name="value">The candidate ID.</param>
    /// <param name="id">The parsed ID when the method returns <see langword="true"/>.</param>
    /// <param name="error">A short reason, safe to show to the caller, when the method returns <see langword="false"/>.</param>
    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out SpiffeId? id, [NotNullWhen(false)] out string? error)
    {
        id = null;
        if (string.IsNullOrEmpty(value))
        {
            error = "a SPIFFE ID is required";
            return false;
        }

        if (value.Length > MaxLength)
        {
            error = $"a SPIFFE ID is at most {MaxLength} bytes";
            return false;
        }

        if (!value.StartsWith(Scheme, StringComparison.Ordinal))
        {
            error = "a SPIFFE ID starts with 'spiffe://' (lowercase)";
            return false;
        }

        var rest = value.AsSpan(Scheme.Length);
        var slash = rest.IndexOf('/');
        var trustDomain = slash < 0 ? rest : rest[..slash];
        if (!IsValidTrustDomain(trustDomain, out error))
        {
            return false;
        }

        if (slash < 0)
        {
            error = "a workload SPIFFE ID needs a path after the trust domain";
            return false;
        }

        if (!IsValidPath(rest[slash..], out error))
        {
            return false;
        }

        id = new SpiffeId(value, trustDomain.Length);
        return true;
    }

    /// <summary>Parses a workload SPIFFE ID or throws <see cref="FormatException"/>.</summary>
    public static SpiffeId Parse(string value) =>
        TryParse(value, out var id, out var error) ? id : throw new FormatException($"Invalid SPIFFE ID: {error}.");

    /// <summary>Whether <paramref name="name"/> is a valid trust domain name (lowercase letters, digits, '.', '-', '_').</summary>
    public static bool IsValidTrustDomain(ReadOnlySpan<char> name, [NotNullWhen(false)] out string? error)
    {
        if (name.IsEmpty)
        {
            error = "the trust domain is empty";
            return false;
        }

        foreach (var c in name)
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '.' or '-' or '_'))
            {
                error = "the trust domain may hold only lowercase letters, digits, '.', '-' and '_' (no port, user info or uppercase)";
                return false;
            }
        }

        error = null;
        return true;
    }

    private static bool IsValidPath(ReadOnlySpan<char> path, [NotNullWhen(false)] out string? error)
    {
        // path starts with '/'; every segment is non-empty, not '.' or '..', and uses [A-Za-z0-9.-_] only.
        var remaining = path[1..];
        while (true)
        {
            var next = remaining.IndexOf('/');
            var segment = next < 0 ? remaining : remaining[..next];
            if (segment.IsEmpty)
            {
                error = "the path has an empty segment or a trailing '/'";
                return false;
            }

            if (segment is "." or "..")
            {
                error = "the path may not hold '.' or '..' segments";
                return false;
            }

            foreach (var c in segment)
            {
                if (!(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '.' or '-' or '_'))
                {
                    error = "the path may hold only letters, digits, '.', '-' and '_' (no query, fragment or percent-encoding)";
                    return false;
                }
            }

            if (next < 0)
            {
                error = null;
                return true;
            }

            remaining = remaining[(next + 1)..];
        }
    }

    /// <inheritdoc />
    public bool Equals(SpiffeId? other) => other is not null && string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SpiffeId);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <inheritdoc />
    public override string ToString() => Value;
}
