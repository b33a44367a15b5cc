using System.Diagnostics.CodeAnalysis;

namespace CredentialBroker.Abstractions;

/// <summary>Parses the snake_case wire names of the broker's enums, given the enum's own naming function.</summary>
public static class WireNames
{
    /// <summary>Finds the value whose wire name is exactly <paramref name="name"/>.</summary>
    public static bool TryParse<TEnum>([NotNullWhen(true)] string? name, Func<TEnum, string> toWireName, out TEnum value)
        where TEnum : struct, Enum
    {
        ArgumentNullException.ThrowIfNull(toWireName);
        foreach (var candidate in Enum.GetValues<TEnum>())
        {
            if (string.Equals(toWireName(candidate), name, StringComparison.Ordinal))
            {
                value = candidate;
                return true;
            }
        }

        value = default;
        return false;
    }
}
