using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Client.ResourceServers;

/// <summary>
/// Follows the broker's revocation feed (<c>revocation_feed_endpoint</c> of its discovery document) for one
/// authentication scheme and fills its <see cref="DenyList"/>. Resumes with <c>Last-Event-ID</c> after a
/// disconnect, reconnecting with exponential backoff and jitter. The feed is <see cref="IsCurrent"/> while
/// heartbeats arrive: the broker sends them only to a follower that has caught up.
/// </summary>
public sealed partial class RevocationFeedFollower : BackgroundService
{
    private static readonly TimeSpan FirstReconnectDelay = TimeSpan.FromSeconds(1);
    private readonly string _scheme;
    private readonly IOptionsMonitor<BrokerTokenOptions> _options;
    private readonly IOptionsMonitor<JwtBearerOptions> _jwtOptions;
    private readonly IHttpClientFactory _http;
    private readonly TimeProvider _time;
    private readonly ClientMetrics _metrics;
    private readonly ILogger<RevocationFeedFollower> _logger;
    private long _lastHeartbeatTicks = -1;
    private TaskCompletionSource _current = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal RevocationFeedFollower(string scheme, IOptionsMonitor<BrokerTokenOptions> options, IOptionsMonitor<JwtBearerOptions> jwtOptions, IHttpClientFactory http, TimeProvider time, ClientMetrics metrics, ILogger<RevocationFeedFollower> logger)
    {
        _scheme = scheme;
        _options = options;
        _jwtOptions = jwtOptions;
        _http = http;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        DenyList = new RevocationDenyList(options.Get(scheme).ClockSkew);
    }

    /// <summary>The revoked credentials this resource server refuses.</summary>
    public RevocationDenyList DenyList { get; }

    /// <summary>The id of the last feed event applied (where a reconnect resumes).</summary>
    public string? LastEventId { get; private set; }

    /// <summary>Whether the feed is caught up: a heartbeat arrived within <see cref="BrokerTokenOptions.FeedStaleAfter"/>.</summary>
    public bool IsCurrent
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastHeartbeatTicks);
            return ticks >= 0 && _time.GetUtcNow().UtcTicks - ticks < _options.Get(_scheme).FeedStaleAfter.Ticks;
        }
    }

    /// <summary>Completes when the feed is current for the first time since it last fell behind (for readiness checks).</summary>
    public Task WhenCurrentAsync(CancellationToken cancellationToken) => Volatile.Read(ref _current).Task.WaitAsync(cancellationToken);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A resource server that reads status lists does not follow the feed.
        if (_options.Get(_scheme).RevocationCheck == BrokerRevocationCheck.StatusList)
        {
            return;
        }

        var delay = FirstReconnectDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await FollowAsync(stoppingToken))
                {
                    delay = FirstReconnectDelay;
                }

                LogFeedEnded(_logger, _scheme);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException or InvalidOperationException or OperationCanceledException)
            {
                LogFeedFailed(_logger, ex, _scheme, delay.TotalSeconds);
            }
            finally
            {
                FallBehind();
            }

            await Task.Delay(Jittered(delay), _time, stoppingToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.Get(_scheme).MaxReconnectDelay.Ticks));
        }
    }

    // Returns whether the stream got as far as being current (so the backoff starts over).
    private async Task<bool> FollowAsync(CancellationToken cancellationToken)
    {
        var options = _options.Get(_scheme);
        var metadata = await _jwtOptions.Get(_scheme).ConfigurationManager!.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
        var feed = BrokerMetadata.Endpoint(metadata, BrokerMetadata.RevocationFeedEndpoint, options.RequireHttps);
        using var request = new HttpRequestMessage(HttpMethod.Get, feed);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await options.CallerToken!(cancellationToken).ConfigureAwait(false));
        if (LastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", LastEventId);
        }

        using var client = _http.CreateClient(BrokerAuthenticationExtensions.HttpClientName);
        client.Timeout = Timeout.InfiniteTimeSpan;
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"The revocation feed answered {(int)response.StatusCode}.", null, response.StatusCode);
        }

        LogFeedConnected(_logger, _scheme, LastEventId);
        var wasCurrent = false;
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken).ConfigureAwait(false))
        {
            switch (item.EventType)
            {
                case "revoked":
                    Apply(Parse(item.Data), item.EventId, options);
                    break;
                case "heartbeat":
                    Interlocked.Exchange(ref _lastHeartbeatTicks, _time.GetUtcNow().UtcTicks);
                    Volatile.Read(ref _current).TrySetResult();
                    wasCurrent = true;
                    DenyList.Prune(_time.GetUtcNow());
                    break;
            }
        }

        return wasCurrent;
    }

    private void Apply(RevokedCredential revoked, string? eventId, BrokerTokenOptions options)
    {
        DenyList.Add(revoked.Jti, revoked.ExpiresAt);
        LastEventId = eventId ?? LastEventId;
        if (revoked.RevokedAt is { } at)
        {
            _metrics.FeedLag(_time.GetUtcNow() - at);
        }

        options.OnRevoked?.Invoke(revoked);
    }

    private void FallBehind()
    {
        Interlocked.Exchange(ref _lastHeartbeatTicks, -1);
        var current = Volatile.Read(ref _current);
        if (current.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _current, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), current);
        }
    }

    private static RevokedCredential Parse(string data)
    {
        using var json = JsonDocument.Parse(data);
        var root = json.RootElement;
        var jti = root.GetProperty("jti").GetString();
        if (string.IsNullOrEmpty(jti))
        {
            throw new JsonException("A feed event has no jti.");
        }

        return new RevokedCredential(
            jti,
            DateTimeOffset.FromUnixTimeSeconds(root.GetProperty("exp").GetInt64()),
            root.TryGetProperty("taskId", out var task) ? task.GetString() : null,
            root.TryGetProperty("reason", out var reason) ? reason.GetString() : null,
            root.TryGetProperty("revokedAt", out var at) && at.TryGetDateTimeOffset(out var revokedAt) ? revokedAt : null);
    }

    // Spread reconnects of many resource servers after a broker restart: 50–100 % of the delay.
    private static TimeSpan Jittered(TimeSpan delay) => delay * (0.5 + (Random.Shared.NextDouble() / 2));

    [LoggerMessage(EventId = 3000, EventName = "FeedConnected", Level = LogLevel.Information,
        Message = "Following the broker's revocation feed for scheme {Scheme} from event {LastEventId}")]
    private static partial void LogFeedConnected(ILogger logger, string scheme, string? lastEventId);

    [LoggerMessage(EventId = 3001, EventName = "FeedEnded", Level = LogLevel.Warning,
        Message = "The revocation feed for scheme {Scheme} ended; tokens are introspected until it is current again")]
    private static partial void LogFeedEnded(ILogger logger, string scheme);

    [LoggerMessage(EventId = 3002, EventName = "FeedFailed", Level = LogLevel.Warning,
        Message = "The revocation feed for scheme {Scheme} failed; tokens are introspected meanwhile; reconnecting in about {DelaySeconds} s")]
    private static partial void LogFeedFailed(ILogger logger, Exception exception, string scheme, double delaySeconds);
}
