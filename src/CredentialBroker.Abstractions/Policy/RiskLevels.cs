using System.Diagnostics.CodeAnalysis;

namespace CredentialBroker.Abstractions.Policy;

/// <summary>Wire names of <see cref="RiskLevel"/>: <c>none</c>, <c>low</c>, <c>medium</c>, <c>high</c>, <c>critical</c>.</summary>
public static class RiskLevels
{
    /// <summary>The wire name of a level.</summary>
    public static string ToWireName(RiskLevel level) => level switch
    {
        RiskLevel.None => "none",
        RiskLevel.Low => "low",
        RiskLevel.Medium => "medium",
        RiskLevel.High => "high",
        RiskLevel.Critical => "critical",
        _ => throw new ArgumentOutOfRangeException(nameof(level)),
    };

    /// <summary>Parses a wire name; exact and case-sensitive.</summary>
    public static bool TryParseWireName([NotNullWhen(true)] string? name, out RiskLevel level) => WireNames.TryParse(name, ToWireName, out level);
}
