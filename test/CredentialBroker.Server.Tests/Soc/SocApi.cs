using System.Text.Json.Nodes;

namespace CredentialBroker.Server.Tests.Soc;

/// <summary>Request helpers for the SOC endpoints.</summary>
internal static class SocApi
{
    public static Task<HttpResponseMessage> BulkRevokeAsync(this HttpClient soc, string body) => soc.PostAsync("/v1/revocations", Api.Json(body));

    /// <summary>Follows a bulk revocation until it is no longer running, as a SOC console would poll it.</summary>
    public static async Task<JsonObject> WaitUntilDoneAsync(this HttpClient soc, string revocationId, TimeSpan patience)
    {
        using var deadline = new CancellationTokenSource(patience);
        while (true)
        {
            var progress = await (await soc.GetAsync($"/v1/revocations/{revocationId}", deadline.Token)).JsonAsync();
            if ((string)progress["status"]! != "running")
            {
                return progress;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
        }
    }
}
