using System.Globalization;
using System.Text;

namespace CredentialBroker.Cli.CommandLine;

/// <summary>
/// Text from the broker made safe to print on a terminal. Ids a caller wrote (a prompt id, a workflow, an approval, a
/// reason) reach brokerctl unchanged, and a raw ESC, CR or BEL in them would recolour the screen, rewrite a line already
/// printed, or set the window's title. Every control character is therefore shown as an escape — <c>\x1b</c>, <c>\r</c>,
/// <c>\n</c>, <c>\t</c> — as are the invisible characters that reorder or hide text (bidirectional overrides, zero-width
/// characters, line and paragraph separators: <c>\u202e</c>), and a backslash is doubled so that an escape shown can
/// always be told from the same characters typed. Everything else, quotes included, is shown as written.
/// </summary>
internal static class TerminalText
{
    /// <summary>
    /// <paramref name="text"/> with every control and invisible formatting character escaped; "-" for none. A backslash
    /// is doubled unless <paramref name="escapeBackslash"/> is false (a message of brokerctl's own naming a Windows path).
    /// </summary>
    public static string Safe(string? text, bool escapeBackslash = true)
    {
        if (text is null)
        {
            return "-";
        }

        StringBuilder? escaped = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var replacement = c switch
            {
                '\\' when escapeBackslash => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}"),
                _ when IsInvisible(c) || (char.IsSurrogate(c) && !IsPair(text, i)) => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => null,
            };
            if (replacement is null)
            {
                escaped?.Append(c);
                if (char.IsHighSurrogate(c) && IsPair(text, i))
                {
                    i++;
                    escaped?.Append(text[i]);
                }

                continue;
            }

            escaped ??= new StringBuilder(text.Length + 16).Append(text, 0, i);
            escaped.Append(replacement);
        }

        return escaped?.ToString() ?? text;
    }

    /// <summary><see cref="Safe"/> text for Spectre.Console markup (its brackets escaped too).</summary>
    public static string Markup(string? text) => Spectre.Console.Markup.Escape(Safe(text));

    /// <summary>Characters that print nothing yet change how the text around them reads: bidirectional controls, zero-width characters, separators.</summary>
    private static bool IsInvisible(char c) =>
        c is (>= '\u200b' and <= '\u200f') or (>= '\u2028' and <= '\u202e') or (>= '\u2060' and <= '\u2069') or '\ufeff' or '\u061c' or '\u180e';

    private static bool IsPair(string text, int i) =>
        (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        || (char.IsLowSurrogate(text[i]) && i > 0 && char.IsHighSurrogate(text[i - 1]));
}
