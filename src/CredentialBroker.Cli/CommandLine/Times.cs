using System.Globalization;

namespace CredentialBroker.Cli.CommandLine;

/// <summary>
/// How brokerctl reads and shows times: ISO 8601, and in tables always UTC with milliseconds
/// (<c>2026-11-28T09:10:00.123Z</c>), so columns line up and sort as text. JSON output passes the broker's values through;
/// times brokerctl makes itself (a minted SVID's expiry, say) are written the same way.
/// </summary>
internal static class Times
{
    /// <summary>The one format of times in table output.</summary>
    public const string DisplayFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    // ISO 8601 as people type it: with or without seconds and fractions, with Z, an offset, or nothing (then UTC); or a date alone (midnight UTC).
    private static readonly string[] InputFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd",
    ];

    /// <summary><paramref name="time"/> in the display format.</summary>
    public static string Display(DateTimeOffset time) => time.ToUniversalTime().ToString(DisplayFormat, CultureInfo.InvariantCulture);

    /// <summary>A time the broker wrote (RFC 3339) in the display format; "-" for none; anything unreadable as it came.</summary>
    public static string Display(string? time) =>
        time is null ? "-"
        : DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? Display(parsed)
        : time;

    /// <summary>A time in a broker document — an RFC 3339 string, or a NumericDate (seconds since the epoch, as audit traces write them) — in the display format.</summary>
    public static string Display(System.Text.Json.Nodes.JsonNode? time) => time switch
    {
        null => "-",
        System.Text.Json.Nodes.JsonValue value when value.TryGetValue<long>(out var seconds) => Display(DateTimeOffset.FromUnixTimeSeconds(seconds)),
        System.Text.Json.Nodes.JsonValue value when value.TryGetValue<double>(out var seconds) => Display(DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000))),
        System.Text.Json.Nodes.JsonValue value when value.TryGetValue<string>(out var text) => Display(text),
        _ => time.ToJsonString(),
    };

    /// <summary>A time brokerctl sends to the broker or writes in its own JSON: the display format, which is RFC 3339 (UTC, milliseconds).</summary>
    public static string Wire(DateTimeOffset time) => Display(time);

    /// <summary>Reads an ISO 8601 time typed on the command line; without an offset it is UTC.</summary>
    public static bool TryParse(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(text.Trim(), InputFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
}
