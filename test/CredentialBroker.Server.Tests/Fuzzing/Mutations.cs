using CsCheck;

namespace CredentialBroker.Server.Tests.Fuzzing;

/// <summary>
/// Generators of hostile input: arbitrary text, and valid inputs mutated a few edits at a time (the edits that break
/// parsers: structural characters, control characters, NUL, deleted and repeated spans), so most inputs get past the
/// first check and reach deeper code.
/// </summary>
internal static class Mutations
{
    private const string Structural = "{}[]\",:\\.=&%+/_-\0\r\n\t\u001b\u00ff\u2028\ud800 0123456789eE";

    /// <summary>Arbitrary text, any characters, up to 300 of them.</summary>
    public static readonly Gen<string> Text = Gen.String[Gen.Char, 0, 300];

    /// <summary><paramref name="valid"/> after one to eight random edits.</summary>
    public static Gen<string> Of(string valid) =>
        Gen.Int[1, 8].SelectMany(edits => Edit.Array[edits]).Select(list => list.Aggregate(valid, (text, edit) => edit(text)));

    /// <summary>Either arbitrary text or a mutation of <paramref name="valid"/>, a mutation four times in five.</summary>
    public static Gen<string> Around(string valid) => Gen.Frequency((1, Text), (4, Of(valid)));

    private static readonly Gen<Func<string, string>> Edit = Gen.OneOf(
        // replace one character by a structural or control one
        Gen.Select(Gen.Int[0, 100_000], Gen.Char[Structural], (at, c) => (Func<string, string>)(s => s.Length == 0 ? c.ToString() : s.Remove(at % s.Length, 1).Insert(at % s.Length, c.ToString()))),
        // insert any character
        Gen.Select(Gen.Int[0, 100_000], Gen.Char, (at, c) => (Func<string, string>)(s => s.Insert(at % (s.Length + 1), c.ToString()))),
        // delete a span
        Gen.Select(Gen.Int[0, 100_000], Gen.Int[1, 40], (at, n) => (Func<string, string>)(s => s.Length == 0 ? s : s.Remove(at % s.Length, Math.Min(n, s.Length - (at % s.Length))))),
        // repeat a span (duplicate members, repeated parameters, doubled dots)
        Gen.Select(Gen.Int[0, 100_000], Gen.Int[1, 40], (at, n) => (Func<string, string>)(s =>
        {
            if (s.Length == 0)
            {
                return s;
            }

            var start = at % s.Length;
            var span = s.Substring(start, Math.Min(n, s.Length - start));
            return s.Insert(start, span);
        })),
        // truncate
        Gen.Int[0, 100_000].Select(at => (Func<string, string>)(s => s.Length == 0 ? s : s[..(at % s.Length)])));
}
