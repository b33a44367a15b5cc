using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace CredentialBroker.Cli.Soc;

/// <summary>
/// The broker's HTTP API as brokerctl uses it: authenticated with a JWT-SVID, and every failure turned into a
/// message and an exit code (problem details and OAuth errors are shown as the broker wrote them).
/// </summary>
internal sealed class BrokerClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string? _credentials;

    /// <summary>
    /// A client of <paramref name="broker"/> presenting <paramref name="svid"/> as bearer, and/or <paramref name="certificate"/>
    /// (an X.509-SVID) over mutual TLS. With <paramref name="authorities"/>, the broker's server certificate must chain
    /// to these (a SPIFFE X.509 bundle) instead of the system's roots. <paramref name="credentials"/> says where the
    /// credential came from, and is named when the broker refuses it (a leftover dev credentials file, say).
    /// </summary>
    public BrokerClient(Uri broker, string? svid, X509Certificate2? certificate = null, X509Certificate2Collection? authorities = null, string? credentials = null)
    {
        _credentials = credentials;
        var handler = new SocketsHttpHandler();
        if (certificate is not null)
        {
            handler.SslOptions.ClientCertificates = [certificate];
        }

        if (authorities is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, server, _, errors) =>
            {
                if (server is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                {
                    return false; // no certificate, or a name mismatch
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(server));
            };
        }

        _http = new HttpClient(handler) { BaseAddress = broker, Timeout = TimeSpan.FromSeconds(60) };
        if (svid is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", svid);
        }

        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("brokerctl", "1.0"));
    }

    public Task<JsonNode> GetJsonAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, path, null, cancellationToken);

    public Task<JsonNode> PostJsonAsync(string path, JsonNode body, CancellationToken cancellationToken) => SendAsync(HttpMethod.Post, path, body, cancellationToken);

    public Task<JsonNode> DeleteAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Delete, path, null, cancellationToken);

    /// <summary>A text resource (the Markdown or HTML report).</summary>
    public async Task<string> GetTextAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    private async Task<JsonNode> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await SendRawAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return JsonNode.Parse(text.Length == 0 ? "{}" : text) ?? new JsonObject();
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.InnerException is System.Security.Authentication.AuthenticationException tls)
        {
            // Not an outage: retrying cannot help, the caller's trust (or certificate) has to change.
            throw new BrokerCliException(ExitCodes.Usage,
                $"the TLS handshake with the broker at {_http.BaseAddress} failed ({tls.Message}); if its certificate is not trusted here, pass --ca BUNDLE (the PEM file of the authority that issued it)");
        }
        catch (HttpRequestException ex)
        {
            throw new BrokerCliException(ExitCodes.Unavailable, $"cannot reach the broker at {_http.BaseAddress}: {ex.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BrokerCliException(ExitCodes.Unavailable, $"the broker at {_http.BaseAddress} did not answer in time");
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        var detail = await DescribeAsync(response, cancellationToken);
        response.Dispose();
        throw response.StatusCode switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new BrokerCliException(ExitCodes.Unauthorized,
                $"the broker refused this caller ({(int)response.StatusCode}): {detail}{(_credentials is null ? "" : $" (credentials: {_credentials})")}"),
            HttpStatusCode.NotFound => new BrokerCliException(ExitCodes.NotFound, detail),
            HttpStatusCode.ServiceUnavailable => new BrokerCliException(ExitCodes.Unavailable, $"the broker's store is unavailable: {detail}"),
            _ => new BrokerCliException(ExitCodes.Usage, $"the broker answered {(int)response.StatusCode}: {detail}"),
        };
    }

    /// <summary>Every field error of a validation problem, else the problem details' detail or the OAuth error description.</summary>
    private static async Task<string> DescribeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            if (JsonNode.Parse(text) is JsonObject problem)
            {
                // A validation problem's field errors say everything; its detail only points at them.
                var parts = new List<string>();
                if (problem["errors"] is JsonObject { Count: > 0 } errors)
                {
                    parts.AddRange(errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value!.AsArray().Select(m => (string?)m))}"));
                }
                else if (((string?)problem["detail"] ?? (string?)problem["error_description"] ?? (string?)problem["title"]) is { } detail)
                {
                    parts.Add(detail);
                }

                if (parts.Count > 0)
                {
                    return string.Join("; ", parts);
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Not JSON: fall through to the status line.
        }

        return response.ReasonPhrase ?? "no details";
    }

    public void Dispose() => _http.Dispose();
}
