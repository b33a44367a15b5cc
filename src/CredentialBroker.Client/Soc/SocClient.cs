using System.Runtime.CompilerServices;

namespace CredentialBroker.Client.Soc;

/// <summary>
/// The SOC's calls: revoke in bulk by selector and watch it happen, declare incidents, and fetch the exposure-window
/// report. Needs the broker's <c>soc</c> role.
/// </summary>
public sealed class SocClient : BrokerClient
{
    private readonly TimeProvider _time;

    internal SocClient(BrokerChannel channel, TimeProvider time)
        : base(channel) => _time = time;

    /// <summary>
    /// Starts a bulk revocation (<c>POST /v1/revocations</c>): in force as a rule from the answer on. A dry run only
    /// counts (<see cref="BulkRevocation.DryRun"/>).
    /// </summary>
    public Task<BrokerResult<BulkRevocation>> RevokeAsync(RevocationRequest revocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(revocation);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("v1/revocations", UriKind.Relative)) { Content = BrokerChannel.Json(revocation) };
        return Channel.SendAsync(request, BrokerChannel.ReadJsonAsync<BulkRevocation>, cancellationToken);
    }

    /// <summary>A bulk revocation's progress (<c>GET /v1/revocations/{id}</c>).</summary>
    public Task<BrokerResult<BulkRevocation>> GetRevocationAsync(string revocationId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(revocationId);
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"v1/revocations/{Uri.EscapeDataString(revocationId)}", UriKind.Relative));
        return Channel.SendAsync(request, BrokerChannel.ReadJsonAsync<BulkRevocation>, cancellationToken);
    }

    /// <summary>
    /// Follows a bulk revocation until it finishes: yields its state every time it changed, asking every
    /// <see cref="BrokerClientOptions.ProgressInterval"/>; the last item is finished. A failed read ends the sequence
    /// with <see cref="BrokerRequestException"/>.
    /// </summary>
    public async IAsyncEnumerable<BulkRevocation> WatchRevocationAsync(string revocationId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(revocationId);
        string? last = null;
        while (true)
        {
            var current = (await GetRevocationAsync(revocationId, cancellationToken).ConfigureAwait(false)).Value;
            var seen = current.ToString();
            if (seen != last)
            {
                last = seen;
                yield return current;
            }

            if (current.IsFinished)
            {
                yield break;
            }

            await Task.Delay(Channel.Options.ProgressInterval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Declares an incident (<c>POST /v1/incidents</c>); with <see cref="IncidentRequest.Revoke"/> its bulk revocation starts at once.</summary>
    public Task<BrokerResult<Incident>> DeclareIncidentAsync(IncidentRequest incident, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(incident);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("v1/incidents", UriKind.Relative)) { Content = BrokerChannel.Json(incident) };
        return Channel.SendAsync(request, BrokerChannel.ReadJsonAsync<Incident>, cancellationToken);
    }

    /// <summary>One incident (<c>GET /v1/incidents/{id}</c>).</summary>
    public Task<BrokerResult<Incident>> GetIncidentAsync(string incidentId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(incidentId);
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"v1/incidents/{Uri.EscapeDataString(incidentId)}", UriKind.Relative));
        return Channel.SendAsync(request, BrokerChannel.ReadJsonAsync<Incident>, cancellationToken);
    }

    /// <summary>Every incident, newest first (<c>GET /v1/incidents</c>).</summary>
    public Task<BrokerResult<IReadOnlyList<Incident>>> ListIncidentsAsync(CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri("v1/incidents", UriKind.Relative));
        return Channel.SendAsync(request, static async (response, ct) => (IReadOnlyList<Incident>)await BrokerChannel.ReadJsonAsync<List<Incident>>(response, ct).ConfigureAwait(false), cancellationToken);
    }

    /// <summary>An incident's exposure-window report (<c>GET /v1/incidents/{id}/report</c>) in <paramref name="format"/>.</summary>
    public Task<BrokerResult<IncidentReport>> GetIncidentReportAsync(string incidentId, ReportFormat format, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(incidentId);
        var name = format switch
        {
            ReportFormat.Json => "json",
            ReportFormat.Markdown => "markdown",
            ReportFormat.Html => "html",
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"v1/incidents/{Uri.EscapeDataString(incidentId)}/report?format={name}", UriKind.Relative));
        return Channel.SendAsync(request, async (response, ct) => new IncidentReport(
            format,
            response.Content.Headers.ContentType?.MediaType ?? string.Empty,
            await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)), cancellationToken);
    }
}
