using System.CommandLine;
using System.CommandLine.Parsing;

namespace CredentialBroker.Cli.CommandLine;

/// <summary>
/// <c>-o, --output FORMAT</c>: in every brokerctl command <c>-o</c> means the output format, nothing else (files are
/// <c>-f, --out-file</c>). <c>table</c> (the default, on a terminal or not) is for people; <c>json</c> for scripts.
/// </summary>
internal static class OutputOption
{
    public const string Table = "table";
    public const string Json = "json";

    /// <summary>A fresh option (each command owns its instance) taking table, json and <paramref name="moreFormats"/>.</summary>
    public static Option<string> Create(params string[] moreFormats) => Create(Table, moreFormats);

    /// <summary>A fresh option whose default is <paramref name="defaultFormat"/> (null: no default, the command decides).</summary>
    public static Option<string> Create(string? defaultFormat, params string[] moreFormats)
    {
        string[] formats = [Table, Json, .. moreFormats];
        var option = new Option<string>("--output", "-o")
        {
            Description = $"Output format: {ValueParsers.Alternatives(formats)}.",
            HelpName = string.Join('|', formats),
            CustomParser = result => result.Tokens is [.., var token] ? Parse(result, token.Value, formats) : defaultFormat,
        };
        if (defaultFormat is not null)
        {
            option.DefaultValueFactory = _ => defaultFormat;
        }

        option.CompletionSources.Add(formats);
        return option;
    }

    private static string? Parse(ArgumentResult result, string value, string[] formats)
    {
        if (formats.Contains(value, StringComparer.Ordinal))
        {
            return value;
        }

        if (value == "text")
        {
            return Table; // the name of the human format before 'table'; scripts that say it keep working
        }

        // -o once named a file in 'report exposure'; say where that went rather than only refusing the value.
        var hint = value.Contains('.', StringComparison.Ordinal) || value.Contains('/', StringComparison.Ordinal)
            ? $" To write to a file, use -f/--out-file {value}."
            : string.Empty;
        result.AddError($"-o/--output must be {ValueParsers.Alternatives(formats)}, not '{value}'; for example -o json.{hint}");
        return null;
    }
}
