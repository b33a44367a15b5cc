using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CredentialBroker.Policy;

/// <summary>
/// Remembers a condition's result for the values it reads. The <c>Cel</c> package interprets a condition by walking its parse
/// tree on every evaluation (about 10 µs and 20 KB per rule), while the values a condition reads repeat from request to
/// request: the same agents, workflows, destinations and risk levels. CEL's standard functions are pure and a condition can
/// reach data only through the six input variables, so a condition's result is a function of the values of the variable paths
/// named in its text. Those paths are found by scanning the text for the variable names wherever they stand (even inside a
/// string literal, or as the member of something else): a false find only adds a value to the key, never hides one. The key
/// holds the value at the longest path that names dictionary members (<c>request.destination.startsWith(…)</c> reads
/// <c>request.destination</c>; <c>task['agent']</c> reads all of <c>task</c>). A condition naming <c>now</c> or
/// <c>task.id</c> gets a key per second or per task: correct, merely rarely reused. Bounded: past <see cref="Capacity"/>
/// results, all are forgotten.
/// </summary>
internal sealed partial class ConditionMemo
{
    /// <summary>The most results kept per condition.</summary>
    internal const int Capacity = 10_000;

    private readonly string[][] _paths;
    private readonly ConcurrentDictionary<string, bool> _results = new(StringComparer.Ordinal);

    private ConditionMemo(string[][] paths) => _paths = paths;

    /// <summary>The memo for <paramref name="condition"/>'s text.</summary>
    public static ConditionMemo For(string condition)
    {
        var found = VariablePath().Matches(condition).Select(m => string.Concat(m.Value.Where(c => !char.IsWhiteSpace(c))).TrimStart('.')).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

        // A path under another found path adds nothing: the shorter one's value contains it.
        var paths = found.Where(p => !found.Any(q => q != p && p.StartsWith(q + ".", StringComparison.Ordinal))).Select(p => p.Split('.')).ToArray();
        return new ConditionMemo(paths);
    }

    /// <summary>How many results are remembered (for tests).</summary>
    internal int Count => _results.Count;

    /// <summary>The remembered result for these <paramref name="variables"/>' values, or <paramref name="evaluate"/>'s.</summary>
    public bool Evaluate(IDictionary<string, object?> variables, Func<IDictionary<string, object?>, bool> evaluate)
    {
        var key = Key(variables);
        if (key is null)
        {
            return evaluate(variables);
        }

        if (_results.TryGetValue(key, out var remembered))
        {
            return remembered;
        }

        var result = evaluate(variables);
        if (_results.Count >= Capacity)
        {
            _results.Clear();
        }

        _results[key] = result;
        return result;
    }

    // Null when a value is of a kind this memo cannot write down faithfully: the condition is then evaluated every time.
    private string? Key(IDictionary<string, object?> variables)
    {
        var key = new StringBuilder();
        foreach (var path in _paths)
        {
            object? value = variables;
            foreach (var member in path)
            {
                if (value is IDictionary<string, object?> members && members.TryGetValue(member, out var next))
                {
                    value = next;
                }
                else
                {
                    break;
                }
            }

            if (!Write(key, value))
            {
                return null;
            }
        }

        return key.ToString();
    }

    private static bool Write(StringBuilder key, object? value)
    {
        switch (value)
        {
            case null:
                key.Append('n');
                return true;
            case string text:
                key.Append('s').Append(text.Length).Append(':').Append(text);
                return true;
            case long number:
                key.Append('l').Append(number.ToString(CultureInfo.InvariantCulture)).Append(';');
                return true;
            case bool flag:
                key.Append(flag ? "b1" : "b0");
                return true;
            case DateTimeOffset time:
                key.Append('t').Append(time.UtcTicks.ToString(CultureInfo.InvariantCulture)).Append(';');
                return true;
            case IDictionary<string, object?> members:
                key.Append('{').Append(members.Count).Append(':');
                foreach (var (name, member) in members.OrderBy(m => m.Key, StringComparer.Ordinal))
                {
                    key.Append(name.Length).Append(':').Append(name);
                    if (!Write(key, member))
                    {
                        return false;
                    }
                }

                key.Append('}');
                return true;
            case object?[] items:
                key.Append('[').Append(items.Length).Append(':');
                foreach (var item in items)
                {
                    if (!Write(key, item))
                    {
                        return false;
                    }
                }

                key.Append(']');
                return true;
            default:
                return false;
        }
    }

    // A variable's name where it stands as a name (not inside a longer identifier), with any member names after it.
    [GeneratedRegex(@"(?<![A-Za-z0-9_])\.?(?:operation|caller|task|request|facts|now)(?![A-Za-z0-9_])(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*")]
    private static partial Regex VariablePath();
}
