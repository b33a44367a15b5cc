using System.Globalization;
using System.Text.RegularExpressions;

namespace CredentialBroker.Cli.CommandLine;

/// <summary>Durations on the command line: <c>90s</c>, <c>15m</c>, <c>1h</c>, <c>1h30m</c>, <c>2d</c> (or <c>01:30:00</c>), shown back the same way.</summary>
internal static partial class Durations
{
    /// <summary>Reads a duration; false for anything else, zero included.</summary>
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        text = text.Trim();
        var match = Pattern().Match(text);
        if (match.Success && match.Length > 0)
        {
            static int Part(Group group) => group.Success ? int.Parse(group.Value, CultureInfo.InvariantCulture) : 0;
            try
            {
                duration = new TimeSpan(Part(match.Groups["d"]), Part(match.Groups["h"]), Part(match.Groups["m"]), Part(match.Groups["s"]));
            }
            catch (ArgumentOutOfRangeException)
            {
                return false;
            }
        }
        else if (!TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out duration))
        {
            return false;
        }

        return duration > TimeSpan.Zero;
    }

    /// <summary><paramref name="duration"/> the way the command line takes it, in hours at most: <c>1h30m</c>, <c>24h</c>, <c>90s</c>.</summary>
    public static string Display(TimeSpan duration)
    {
        var hours = (long)duration.TotalHours;
        var text = (hours > 0 ? $"{hours}h" : string.Empty)
            + (duration.Minutes > 0 ? $"{duration.Minutes}m" : string.Empty)
            + (duration.Seconds > 0 ? $"{duration.Seconds}s" : string.Empty);
        return text.Length > 0 ? text : "0s";
    }

    [GeneratedRegex(@"^(?:(?<d>\d{1,5})d)?(?:(?<h>\d{1,6})h)?(?:(?<m>\d{1,7})m)?(?:(?<s>\d{1,9})s)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
