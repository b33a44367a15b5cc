using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace CredentialBroker.Downstream.RedisAcl;

/// <summary>
/// One <c>AUTH &lt;user&gt; &lt;password&gt;</c> on a fresh connection to one node, spoken in RESP directly: the exact
/// answer of the server, with no client library retrying, reconnecting or discovering a cluster in between.
/// </summary>
internal static class RespAuthProbe
{
    /// <summary>The server's verdict on the login.</summary>
    public enum Verdict
    {
        /// <summary><c>-WRONGPASS</c>: no such user, user disabled, or wrong password.</summary>
        Refused,

        /// <summary><c>+OK</c>: the login works.</summary>
        Accepted,
    }

    /// <summary>Authenticates once and reports the server's verdict.</summary>
    /// <exception cref="IOException">The node could not be reached or answered something else (it is loading, say).</exception>
    public static async Task<Verdict> AuthenticateAsync(EndPoint endpoint, string username, string password, ConfigurationOptions configuration, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromMilliseconds(configuration.ConnectTimeout));
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint, deadline.Token);
        await using var network = new NetworkStream(socket, ownsSocket: false);
        await using var tls = configuration.Ssl ? new SslStream(network, leaveInnerStreamOpen: true) : null;
        if (tls is not null)
        {
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions { TargetHost = configuration.SslHost ?? HostOf(endpoint) }, deadline.Token);
        }

        Stream stream = tls ?? (Stream)network;
        await stream.WriteAsync(Command("AUTH", username, password), deadline.Token);
        var reply = await ReadLineAsync(stream, deadline.Token);
        if (reply.StartsWith("+OK", StringComparison.Ordinal))
        {
            return Verdict.Accepted;
        }

        if (reply.StartsWith("-WRONGPASS", StringComparison.Ordinal))
        {
            return Verdict.Refused;
        }

        // Kept short; it never holds the password (Redis does not repeat AUTH arguments).
        throw new IOException($"unexpected reply to AUTH: {(reply.Length <= 60 ? reply : reply[..60])}");
    }

    private static string HostOf(EndPoint endpoint) => endpoint switch
    {
        DnsEndPoint dns => dns.Host,
        IPEndPoint ip => ip.Address.ToString(),
        _ => endpoint.ToString() ?? string.Empty,
    };

    private static byte[] Command(params string[] parts)
    {
        var text = new StringBuilder().Append('*').Append(parts.Length).Append("\r\n");
        foreach (var part in parts)
        {
            text.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (line.Count < 4096)
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new IOException("the connection closed before a reply.");
            }

            if (one[0] == '\n' && line.Count > 0 && line[^1] == '\r')
            {
                return Encoding.UTF8.GetString([.. line[..^1]]);
            }

            line.Add(one[0]);
        }

        throw new IOException("the reply line is too long.");
    }
}
