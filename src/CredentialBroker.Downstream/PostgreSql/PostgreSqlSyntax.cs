using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CredentialBroker.Downstream.PostgreSql;

/// <summary>
/// The only way text reaches the SQL the provider runs: identifiers double-quoted, literals single-quoted, both
/// escaped. PostgreSQL takes no bind parameters in utility statements (CREATE ROLE, GRANT, DROP), so these are used
/// there; queries bind parameters.
/// </summary>
internal static class PostgreSqlSyntax
{
    /// <summary>The longest identifier PostgreSQL keeps (NAMEDATALEN - 1 bytes); longer ones are silently truncated.</summary>
    public const int MaxIdentifierBytes = 63;

    /// <summary>
    /// Whether <paramref name="name"/> is a plain role name the configuration may give: 1 to 63 ASCII letters, digits
    /// or underscores. Anything else (quotes, spaces, semicolons, non-ASCII) is refused rather than escaped, so a
    /// configured name means the same thing to the operator, the log and the server.
    /// </summary>
    public static bool IsPlainIdentifier(string? name) =>
        name is { Length: > 0 and <= MaxIdentifierBytes } && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary><paramref name="name"/> as a quoted identifier (<c>"a""b"</c>): used exactly, case kept.</summary>
    public static string Identifier(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('\0', StringComparison.Ordinal) || Encoding.UTF8.GetByteCount(name) > MaxIdentifierBytes)
        {
            throw new ArgumentException("Not a PostgreSQL identifier.", nameof(name));
        }

        return "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>
    /// <paramref name="value"/> as a string literal: quotes doubled, and in the <c>E''</c> form with backslashes
    /// doubled when it has any, so the result is the same whatever <c>standard_conforming_strings</c> says.
    /// </summary>
    public static string Literal(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("A PostgreSQL literal cannot hold NUL.", nameof(value));
        }

        var quoted = value.Replace("'", "''", StringComparison.Ordinal);
        return value.Contains('\\', StringComparison.Ordinal)
            ? "E'" + quoted.Replace("\\", "\\\\", StringComparison.Ordinal) + "'"
            : "'" + quoted + "'";
    }

    /// <summary>An instant as a <c>timestamptz</c> literal in UTC (read the same under any session time zone).</summary>
    public static string Timestamp(DateTimeOffset instant) =>
        Literal(instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));

    /// <summary>
    /// The SCRAM-SHA-256 verifier of <paramref name="password"/> (RFC 5802/7677, in PostgreSQL's stored form
    /// <c>SCRAM-SHA-256$&lt;iterations&gt;:&lt;salt&gt;$&lt;StoredKey&gt;:&lt;ServerKey&gt;</c>), computed here the way
    /// <c>psql \password</c> does. PostgreSQL stores a verifier as given, so the password itself never reaches the
    /// server: not its statement log, not <c>pg_stat_activity</c>, not <c>pg_stat_statements</c>. The password must
    /// be ASCII (SASLprep leaves it unchanged), as generated ones are.
    /// </summary>
    public static string ScramSha256Verifier(string password, int iterations = 4096)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        if (!Ascii.IsValid(password))
        {
            throw new ArgumentException("Generated passwords are ASCII.", nameof(password));
        }

        Span<byte> salt = stackalloc byte[16];
        RandomNumberGenerator.Fill(salt);
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.ASCII.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        var storedKey = SHA256.HashData(clientKey);
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        CryptographicOperations.ZeroMemory(salted);
        return string.Create(CultureInfo.InvariantCulture,
            $"SCRAM-SHA-256${iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}");
    }
}
