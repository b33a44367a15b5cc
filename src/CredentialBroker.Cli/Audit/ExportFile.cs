using System.Text;
using System.Text.Json;

namespace CredentialBroker.Cli.Audit;

/// <summary>
/// The JSON-lines file <c>brokerctl audit export --out-file</c> appends to, and where a new run resumes: after the last
/// event of the chain already in it. A last line cut short (an export interrupted mid-write) is dropped first, and
/// fetched again.
/// </summary>
internal static class ExportFile
{
    private const int Block = 64 * 1024;

    /// <summary>The outcome of preparing the file: the last position of <c>chain</c> in it, and whether a partial line was dropped.</summary>
    public readonly record struct Resume(long? LastSeq, bool DroppedPartialLine);

    /// <summary>
    /// Drops a partial last line of <paramref name="path"/> (if any) and finds the last event of <paramref name="chain"/> in
    /// it, reading backwards from the end. A file that does not exist or is empty resumes nowhere.
    /// </summary>
    public static Resume Prepare(string path, int chain)
    {
        if (!File.Exists(path))
        {
            return new Resume(null, false);
        }

        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
            var dropped = DropPartialLine(file);
            return new Resume(LastSeq(file, chain, path), dropped);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BrokerCliException(ExitCodes.Usage, $"cannot read '{path}' to resume the export: {ex.Message}");
        }
    }

    /// <summary>Truncates the file after its last newline: a line without one was cut short.</summary>
    private static bool DropPartialLine(FileStream file)
    {
        var end = file.Length;
        var buffer = new byte[Block];
        for (var position = end; position > 0;)
        {
            var count = (int)Math.Min(Block, position);
            position -= count;
            file.Position = position;
            file.ReadExactly(buffer, 0, count);
            var newline = Array.LastIndexOf(buffer, (byte)'\n', count - 1, count);
            if (newline >= 0)
            {
                var keep = position + newline + 1;
                if (keep == end)
                {
                    return false;
                }

                file.SetLength(keep);
                return true;
            }
        }

        if (end > 0)
        {
            file.SetLength(0);
            return true;
        }

        return false;
    }

    /// <summary>The seq of the last line of <paramref name="chain"/>, reading whole lines backwards from the end.</summary>
    private static long? LastSeq(FileStream file, int chain, string path)
    {
        var pending = Array.Empty<byte>(); // the start of the file's text after the block read last, up to the line that ends it
        var buffer = new byte[Block];
        for (var position = file.Length; position > 0;)
        {
            var count = (int)Math.Min(Block, position);
            position -= count;
            file.Position = position;
            file.ReadExactly(buffer, 0, count);
            var data = new byte[count + pending.Length];
            buffer.AsSpan(0, count).CopyTo(data);
            pending.CopyTo(data, count);
            var end = data.Length;
            for (var i = data.Length - 1; i >= 0; i--)
            {
                if (data[i] != (byte)'\n')
                {
                    continue;
                }

                if (Seq(data.AsSpan(i + 1, end - i - 1), chain, path) is { } seq)
                {
                    return seq;
                }

                end = i;
            }

            pending = data[..end];
        }

        return Seq(pending, chain, path);
    }

    /// <summary>The seq of one line when it is an event of <paramref name="chain"/>; an empty line is skipped, anything else is refused.</summary>
    private static long? Seq(ReadOnlySpan<byte> line, int chain, string path)
    {
        if (line.IsEmpty)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(line);
            using var json = JsonDocument.ParseValue(ref reader);
            var root = json.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("seq", out var seq) && seq.TryGetInt64(out var position)
                && root.TryGetProperty("chain", out var lineChain) && lineChain.TryGetInt32(out var number))
            {
                return number == chain && position > 0 ? position : null;
            }
        }
        catch (JsonException)
        {
            // Reported below, with the line.
        }

        var shown = Encoding.UTF8.GetString(line[..Math.Min(line.Length, 80)]);
        throw new BrokerCliException(ExitCodes.Usage, $"'{path}' is not an export of brokerctl audit export (a line is not an event with a seq and a chain: '{shown}'); name a new file or one it wrote.");
    }
}
