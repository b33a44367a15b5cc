using System.CommandLine;
using System.CommandLine.Parsing;

namespace CredentialBroker.Cli.CommandLine;

/// <summary>
/// Options whose values need parsing (times, durations, one of a few words), with errors in plain words: each names the
/// option, says what it needs and gives an example of a valid value — never a .NET type name.
/// </summary>
internal static class ValueParsers
{
    /// <summary>An ISO 8601 time option (UTC unless the value carries an offset).</summary>
    public static Option<DateTimeOffset?> Time(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "TIME",
        CustomParser = result => result.Tokens is [.., var token]
            ? Times.TryParse(token.Value, out var time) ? time : Error<DateTimeOffset?>(result, $"{name} must be an ISO 8601 time, not '{token.Value}'; for example {name} 2026-11-28T10:02:00Z (UTC) or 2026-11-28T11:02:00+01:00.")
            : null,
    };

    /// <summary>A duration option (<c>90s</c>, <c>15m</c>, <c>1h</c>, <c>1h30m</c>).</summary>
    public static Option<TimeSpan?> Duration(string name, string description, TimeSpan defaultValue) => new(name)
    {
        Description = description,
        HelpName = "DURATION",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => result.Tokens is [.., var token]
            ? Durations.TryParse(token.Value, out var duration) ? duration : Error<TimeSpan?>(result, $"{name} must be a duration, not '{token.Value}'; for example {name} 90s, 15m, 1h or 1h30m.")
            : defaultValue,
    };

    /// <summary>A required duration option without a default.</summary>
    public static Option<TimeSpan?> Duration(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "DURATION",
        Required = true,
        CustomParser = result => result.Tokens is [.., var token]
            ? Durations.TryParse(token.Value, out var duration) ? duration : Error<TimeSpan?>(result, $"{name} must be a duration, not '{token.Value}'; for example {name} 90s, 15m, 1h or 1h30m.")
            : null,
    };

    /// <summary>A whole-number option between <paramref name="min"/> and <paramref name="max"/>; <paramref name="example"/> is a valid value.</summary>
    public static Option<long?> Number(string name, string description, string helpName, long min, long max, long example) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result => result.Tokens is [.., var token]
            ? long.TryParse(token.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) && number >= min && number <= max
                ? number
                : Error<long?>(result, $"{name} must be a whole number {(max == long.MaxValue ? $"of at least {min}" : $"from {min} to {max}")}, not '{token.Value}'; for example {name} {example}.")
            : null,
    };

    /// <summary>An option that takes one of <paramref name="values"/>.</summary>
    public static Option<string> Choice(string name, string description, string[] values, string? defaultValue = null, params string[] aliases)
    {
        var option = new Option<string>(name, aliases)
        {
            Description = description,
            HelpName = string.Join('|', values),
            CustomParser = result => result.Tokens is [.., var token] ? Choose(result, name, token.Value, values, $"{name} {values[^1]}") : defaultValue,
        };
        if (defaultValue is not null)
        {
            option.DefaultValueFactory = _ => defaultValue;
        }

        option.CompletionSources.Add(values);
        return option;
    }

    /// <summary>An argument that takes one of <paramref name="values"/>.</summary>
    public static Argument<string> ChoiceArgument(string name, string description, string[] values, string example)
    {
        var argument = new Argument<string>(name)
        {
            Description = description,
            CustomParser = result => result.Tokens is [.., var token] ? Choose(result, name, token.Value, values, example) : null,
        };
        argument.CompletionSources.Add(values);
        return argument;
    }

    /// <summary>"a, b or c".</summary>
    public static string Alternatives(IReadOnlyList<string> values) =>
        values.Count == 1 ? values[0] : string.Join(", ", values.Take(values.Count - 1)) + " or " + values[^1];

    private static string? Choose(ArgumentResult result, string name, string value, string[] values, string example) =>
        values.Contains(value, StringComparer.Ordinal)
            ? value
            : Error<string>(result, $"{name} must be {Alternatives(values)}, not '{value}'; for example {example}.");

    private static T? Error<T>(ArgumentResult result, string message)
    {
        result.AddError(message);
        return default;
    }
}
