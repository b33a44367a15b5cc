using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace CredentialBroker.Testing;

/// <summary>Follows a broker's revocation feed (Server-Sent Events) and lets a test wait for the events it expects.</summary>
public sealed class FeedReader : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<FeedEvent> _events = Channel.CreateUnbounded<FeedEvent>();
    private readonly Task _reading;

    private FeedReader(HttpClient client, string? lastEventId)
    {
        _reading = ReadAsync(client, lastEventId, _stop.Token);
    }

    /// <summary>One SSE event: its id (absent for heartbeats), name and JSON data.</summary>
    public sealed record FeedEvent(string? Id, string Name, JsonObject Data);

    /// <summary>Every event received so far, in order.</summary>
    public List<FeedEvent> Received { get; } = [];

    /// <summary>Connects <paramref name="client"/> to <c>/v1/revocations/feed</c>, optionally resuming after <paramref name="lastEventId"/>.</summary>
    public static FeedReader Follow(HttpClient client, string? lastEventId = null) => new(client, lastEventId);

    /// <summary>Waits until events satisfying <paramref name="done"/> have arrived; returns everything received.</summary>
    public async Task<List<FeedEvent>> WaitForAsync(Func<List<FeedEvent>, bool> done, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!done(Received))
        {
            try
            {
                Received.Add(await _events.Reader.ReadAsync(deadline.Token));
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The feed did not deliver the expected events within {timeout}; received {Received.Count}: "
                    + string.Join(", ", Received.Select(e => $"{e.Name}:{e.Data["jti"]}")));
            }
            catch (ChannelClosedException ex)
            {
                throw new InvalidOperationException($"The feed ended after {Received.Count} events.", ex);
            }
        }

        return Received;
    }

    /// <summary>Waits for a revocation of each of <paramref name="jtis"/>.</summary>
    public Task<List<FeedEvent>> WaitForRevokedAsync(IEnumerable<string> jtis, TimeSpan timeout)
    {
        var wanted = jtis.ToHashSet(StringComparer.Ordinal);
        return WaitForAsync(received => wanted.IsSubsetOf(received.Where(e => e.Name == "revoked").Select(e => (string)e.Data["jti"]!)), timeout);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reading;
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
        {
            // The stream ends with the test.
        }

        _stop.Dispose();
    }

    private async Task ReadAsync(HttpClient client, string? lastEventId, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/revocations/feed");
            if (lastEventId is not null)
            {
                request.Headers.Add("Last-Event-ID", lastEventId);
            }

            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            string? id = null, name = null, data = null;
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0)
                {
                    if (name is not null && data is not null)
                    {
                        await _events.Writer.WriteAsync(new FeedEvent(id, name, JsonNode.Parse(data)!.AsObject()), cancellationToken);
                    }

                    (id, name, data) = (null, null, null);
                }
                else if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    id = line[4..];
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line[6..];
                }
            }
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }
}
