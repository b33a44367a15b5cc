using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace CredentialBroker.Client.Audit;

/// <summary>
/// Reads the broker's boundary log: the accountability trace of one credential, verification of the hash chains, the
/// events themselves (for a SIEM) and the signed checkpoints (to anchor elsewhere). Needs the broker's <c>soc</c> or
/// <c>operator</c> role.
/// </summary>
public sealed class AuditClient : BrokerClient
{
    /// <summary>The most events one page may hold (<c>limit</c> of <c>GET /v1/audit/events</c>).</summary>
    public const int MaxPageSize = 1000;

    internal AuditClient(BrokerChannel channel)
        : base(channel)
    {
    }

    /// <summary>
    /// Who is accountable for the credential <paramref name="jti"/> (<c>GET /v1/audit/trace</c>): its chain up to the task,
    /// the task's origin, workflow and approval, every delegate and continuation operator, the decisions and revocations on
    /// the way, and whether the events it rests on verify. An unknown jti is <c>not-found</c>.
    /// </summary>
    public Task<BrokerResult<AuditTrace>> GetTraceAsync(string jti, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jti);
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"v1/audit/trace?jti={Uri.EscapeDataString(jti)}", UriKind.Relative));
        return Channel.SendAsync(request, BrokerChannel.ReadJsonAsync<AuditTrace>, cancellationToken);
    }

    /// <summary>
    /// Recomputes the hash chains (<c>GET /v1/audit/verify</c>) from their first retained event, or from position
    /// <paramref name="fromSeq"/> of <paramref name="chain"/>; only <paramref name="chain"/> when given. A log that does not
    /// verify is a success whose <see cref="AuditVerification.Verified"/> is false, naming the first bad event.
    /// </summary>
    public Task<BrokerResult<AuditVerification>> VerifyAsync(long? fromSeq = null, int? chain = null, CancellationToken cancellationToken = default)
    {
        if (fromSeq is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(fromSeq), fromSeq, "A position is 1 or more.");
        }

        return VerifyAsync(fromSeq?.ToString(CultureInfo.InvariantCulture), chain, cancellationToken);
    }

    /// <summary>Recomputes the hash chains from the latest signed checkpoint (<c>GET /v1/audit/verify?from=checkpoint</c>); only <paramref name="chain"/> when given.</summary>
    public Task<BrokerResult<AuditVerification>> VerifyFromCheckpointAsync(int? chain = null, CancellationToken cancellationToken = default) =>
        VerifyAsync("checkpoint", chain, cancellationToken);

    /// <summary>
    /// Up to <paramref name="limit"/> events of <paramref name="chain"/> (0 by default) after position <paramref name="afterSeq"/>
    /// (<c>GET /v1/audit/events</c>). Ask again after <see cref="AuditEventPage.Next"/> for the next page; an empty page means
    /// the chain holds nothing more yet.
    /// </summary>
    public Task<BrokerResult<AuditEventPage>> ReadEventsAsync(long afterSeq = 0, int limit = 100, int? chain = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSeq);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxPageSize);
        var query = string.Create(CultureInfo.InvariantCulture, $"v1/audit/events?after={afterSeq}&limit={limit}{(chain is { } c ? $"&chain={c}" : string.Empty)}");
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(query, UriKind.Relative));
        return Channel.SendAsync(request, static async (response, ct) =>
        {
            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), cancellationToken: ct).ConfigureAwait(false);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array
                || !root.TryGetProperty("next", out var next) || !next.TryGetInt64(out var nextSeq))
            {
                throw new JsonException("An events page has 'events' (an array) and 'next' (a position).");
            }

            return new AuditEventPage([.. events.EnumerateArray().Select(e => new AuditLogEvent(e))], nextSeq);
        }, cancellationToken);
    }

    /// <summary>
    /// Every event of <paramref name="chain"/> (0 by default) after <paramref name="afterSeq"/>, page by page, until the
    /// chain holds nothing more. A failed read ends the sequence with <see cref="BrokerRequestException"/>.
    /// </summary>
    public async IAsyncEnumerable<AuditLogEvent> ReadAllEventsAsync(long afterSeq = 0, int? chain = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSeq);
        while (true)
        {
            var page = (await ReadEventsAsync(afterSeq, MaxPageSize, chain, cancellationToken).ConfigureAwait(false)).Value;
            foreach (var audit in page.Events)
            {
                yield return audit;
            }

            if (page.Events.Count < MaxPageSize)
            {
                yield break;
            }

            // An entry someone overwrote has no position of its own: step past the page by its length instead.
            afterSeq = page.Next > afterSeq ? page.Next : afterSeq + page.Events.Count;
        }
    }

    /// <summary>Every signed checkpoint the log holds, oldest first (<c>GET /v1/audit/checkpoints</c>).</summary>
    public Task<BrokerResult<IReadOnlyList<SignedCheckpoint>>> ListCheckpointsAsync(CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri("v1/audit/checkpoints", UriKind.Relative));
        return Channel.SendAsync(request, static async (response, ct) => (IReadOnlyList<SignedCheckpoint>)await BrokerChannel.ReadJsonAsync<List<SignedCheckpoint>>(response, ct).ConfigureAwait(false), cancellationToken);
    }

    private Task<BrokerResult<AuditVerification>> VerifyAsync(string? from, int? chain, CancellationToken cancellationToken)
    {
        if (chain is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(chain), chain, "Chains are numbered from 0.");
        }

        var query = new List<string>();
        if (from is not null)
        {
            query.Add("from=" + from);
        }

        if (chain is { } c)
        {
            query.Add(string.Create(CultureInfo.InvariantCulture, $"chain={c}"));
        }

        var request = new HttpRequestMessage(HttpMethod.Get, new Uri("v1/audit/verify" + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty), UriKind.Relative));
        return Channel.SendAsync(request, BrokerChannel.ReadJsonAsync<AuditVerification>, cancellationToken);
    }
}
