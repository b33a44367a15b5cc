using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace CredentialBroker.Testing;

/// <summary>
/// A bare RESP connection to one Redis node, for tests that must see exactly what the server answers and when it
/// closes the connection: no client library reconnecting, retrying or following cluster redirects in between.
/// </summary>
public sealed class RespConnection : IAsyncDisposable
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);
    private readonly TcpClient _client;
    private readonly Stream _stream;

    private RespConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    /// <summary>Opens a connection to <paramref name="host"/>:<paramref name="port"/>.</summary>
    public static async Task<RespConnection> ConnectAsync(string host, int port)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(host, port);
        return new RespConnection(client);
    }

    /// <summary>Sends one command and reads its reply.</summary>
    /// <exception cref="IOException">The server closed the connection (or reset it).</exception>
    public async Task<RespReply> SendAsync(params string[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var command = new StringBuilder().Append('*').Append(parts.Length).Append("\r\n");
        foreach (var part in parts)
        {
            command.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        }

        using var timeout = new CancellationTokenSource(ReplyTimeout);
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(command.ToString()), timeout.Token);
        return await ReadAsync(timeout.Token);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<RespReply> ReadAsync(CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(cancellationToken);
        var body = line[1..];
        switch (line[0])
        {
            case '+':
                return new RespReply(RespReplyKind.Simple, body, []);
            case '-':
                return new RespReply(RespReplyKind.Error, body, []);
            case ':':
                return new RespReply(RespReplyKind.Number, body, []);
            case '$':
                var length = int.Parse(body, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return new RespReply(RespReplyKind.Null, null, []);
                }

                var data = new byte[length + 2];
                await _stream.ReadExactlyAsync(data, cancellationToken);
                return new RespReply(RespReplyKind.Bulk, Encoding.UTF8.GetString(data, 0, length), []);
            case '*':
                var count = int.Parse(body, CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return new RespReply(RespReplyKind.Null, null, []);
                }

                var items = new List<RespReply>(count);
                for (var i = 0; i < count; i++)
                {
                    items.Add(await ReadAsync(cancellationToken));
                }

                return new RespReply(RespReplyKind.Array, null, items);
            default:
                throw new InvalidDataException($"Not a RESP2 reply: {line}");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await _stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new IOException("The server closed the connection.");
            }

            if (one[0] == '\n' && line.Count > 0 && line[^1] == '\r')
            {
                return Encoding.UTF8.GetString([.. line[..^1]]);
            }

            line.Add(one[0]);
        }
    }
}

/// <summary>The type of a RESP reply.</summary>
public enum RespReplyKind
{
    /// <summary><c>+text</c>.</summary>
    Simple,

    /// <summary><c>-ERR text</c>.</summary>
    Error,

    /// <summary><c>:42</c>.</summary>
    Number,

    /// <summary><c>$n</c> and its bytes.</summary>
    Bulk,

    /// <summary><c>*n</c> and its items.</summary>
    Array,

    /// <summary><c>$-1</c> or <c>*-1</c>.</summary>
    Null,
}

/// <summary>One RESP reply.</summary>
/// <param name="Kind">Its type.</param>
/// <param name="Text">The text of a simple string, error, integer or bulk string.</param>
/// <param name="Items">The items of an array.</param>
public sealed record RespReply(RespReplyKind Kind, string? Text, IReadOnlyList<RespReply> Items)
{
    /// <summary>Whether the server answered with an error.</summary>
    public bool IsError => Kind == RespReplyKind.Error;

    /// <inheritdoc />
    public override string ToString() => Kind == RespReplyKind.Array ? $"[{string.Join(", ", Items)}]" : $"{Kind}: {Text}";
}
