using System.Buffers;
using System.Security.Cryptography;

namespace CredentialBroker.Downstream.Providers;

/// <summary>
/// Logins and passwords the broker makes for downstream secrets: from the operating system's CSPRNG, never from
/// request input, in alphabets that need no quoting anywhere (SQL, RESP, shells, URLs).
/// </summary>
internal static class GeneratedCredentials
{
    /// <summary>What every generated login starts with, so operators can tell the broker's logins apart.</summary>
    public const string UsernamePrefix = "cb_";

    /// <summary>Random characters after the prefix: 24 base32 characters, 120 bits.</summary>
    public const int UsernameRandomLength = 24;

    /// <summary>Password length: 43 characters of a 62-letter alphabet, 256 bits.</summary>
    public const int PasswordLength = 43;

    private const string Base32Lower = "abcdefghijklmnopqrstuvwxyz234567";
    private static readonly SearchValues<char> Base32LowerValues = SearchValues.Create(Base32Lower);
    private const string Alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>A fresh login: <c>cb_</c> and 24 lowercase base32 characters (matches <c>^cb_[a-z2-7]{24}$</c>).</summary>
    public static string NewUsername() => UsernamePrefix + RandomNumberGenerator.GetString(Base32Lower, UsernameRandomLength);

    /// <summary>A fresh password: letters and digits only (no quotes, backslashes or spaces), 256 bits.</summary>
    public static string NewPassword() => RandomNumberGenerator.GetString(Alphanumeric, PasswordLength);

    /// <summary>
    /// Whether <paramref name="username"/> has the shape of a generated login. Providers check every handle they act
    /// on, so a corrupted or forged record can never make them alter or drop an account the broker did not create.
    /// </summary>
    public static bool IsGeneratedUsername(string? username) =>
        username is { Length: 3 + UsernameRandomLength }
        && username.StartsWith(UsernamePrefix, StringComparison.Ordinal)
        && username.AsSpan(UsernamePrefix.Length).IndexOfAnyExcept(Base32LowerValues) < 0;
}
