using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Soc;
using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.Server.Tests.Soc;

/// <summary>Request helpers for the SOC endpoints.</summary>
internal static class SocApi
{
    public static Task<HttpResponseMessage> BulkRevokeAsync(this HttpClient soc, string body) => soc.PostAsync("/v1/revocations", Api.Json(body));

    /// <summary>Waits for <paramref name="watch"/> to see the revocation finish, then reads it as the SOC would.</summary>
    public static async Task<JsonObject> WaitUntilDoneAsync(this HttpClient soc, RevocationWatch watch, string revocationId, TimeSpan patience)
    {
        await watch.DoneAsync(revocationId, patience);
        return await (await soc.GetAsync($"/v1/revocations/{revocationId}")).JsonAsync();
    }
}

/// <summary>
/// The signal that a bulk revocation finished: the broker's own event, on every host given (whichever replica
/// holds the revocation's lease advances it). Create it before the revocation is requested.
/// </summary>
internal sealed class RevocationWatch : IDisposable
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _done = new(StringComparer.Ordinal);
    private readonly List<BulkRevocationService> _services;

    public RevocationWatch(params BrokerApp[] hosts)
    {
        _services = [.. hosts.Select(h => h.Services.GetRequiredService<BulkRevocationService>())];
        _services.ForEach(s => s.ProgressStored += OnProgress);
    }

    public Task DoneAsync(string revocationId, TimeSpan patience) => Completion(revocationId).Task.WaitAsync(patience);

    public void Dispose() => _services.ForEach(s => s.ProgressStored -= OnProgress);

    private void OnProgress(object? sender, BulkRevocation revocation)
    {
        if (revocation.Status != BulkRevocationStatus.Running)
        {
            Completion(revocation.Id).TrySetResult();
        }
    }

    private TaskCompletionSource Completion(string id) => _done.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
