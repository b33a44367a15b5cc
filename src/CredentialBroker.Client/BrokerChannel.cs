using System.Net.Http.Headers;
using System.Text.Json;
using CredentialBroker.Client.Svids;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Client;

/// <summary>
/// One named client's way to the broker: the <see cref="IHttpClientFactory"/> client (with its resilience handler),
/// the workload's SVID on every request, and every answer turned into a value or a <see cref="BrokerError"/>.
/// </summary>
internal sealed class BrokerChannel(string name, IHttpClientFactory http, IOptionsMonitor<BrokerClientOptions> options, ISvidSource svids, ClientCertificateSelector certificates)
{
    /// <summary>Marks a request the broker handles idempotently (an <c>Idempotency-Key</c>), so the retry policy may repeat it.</summary>
    public static readonly HttpRequestOptionsKey<bool> Idempotent = new("CredentialBroker.Idempotent");

    public BrokerClientOptions Options => options.Get(name);

    public ISvidSource Svids => svids;

    public async Task<BrokerResult<T>> SendAsync<T>(HttpRequestMessage request, Func<HttpResponseMessage, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        using (request)
        {
            var settings = Options;
            request.RequestUri = new Uri(settings.BrokerUrl!, request.RequestUri!);
            try
            {
                if (settings.Authentication == BrokerAuthentication.JwtSvid)
                {
                    var svid = await svids.GetJwtSvidAsync(settings.EffectiveIssuer, cancellationToken).ConfigureAwait(false);
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", svid.Token);
                }
                else
                {
                    certificates.Current = await svids.GetX509SvidAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            catch (SvidUnavailableException ex)
            {
                return BrokerResult.Failure<T>(new BrokerError { Code = BrokerError.SvidUnavailable, Description = ex.Message });
            }

            try
            {
                using var client = http.CreateClient(BrokerClientServiceCollectionExtensions.HttpClientName(name));
                using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    return BrokerResult.Failure<T>(await BrokerError.FromResponseAsync(response, cancellationToken).ConfigureAwait(false));
                }

                return BrokerResult.Success(await read(response, cancellationToken).ConfigureAwait(false));
            }
            catch (HttpRequestException ex)
            {
                return BrokerResult.Failure<T>(BrokerError.Unreachable($"The broker at {settings.BrokerUrl} could not be reached: {ex.Message}"));
            }
            catch (Exception ex) when (ex is OperationCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                return BrokerResult.Failure<T>(BrokerError.Unreachable($"The broker at {settings.BrokerUrl} did not answer in time."));
            }
            catch (Exception ex) when (ex is JsonException or FormatException or NotSupportedException)
            {
                return BrokerResult.Failure<T>(new BrokerError { Code = BrokerError.UnexpectedResponse, Description = $"The broker's answer is not what {request.RequestUri?.AbsolutePath} documents: {ex.Message}" });
            }
        }
    }

    /// <summary>Reads a JSON body as <typeparamref name="T"/> with the client's source-generated contract.</summary>
    public static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var info = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)ClientJsonContext.Default.GetTypeInfo(typeof(T))!;
        return await JsonSerializer.DeserializeAsync(stream, info, cancellationToken).ConfigureAwait(false)
            ?? throw new JsonException("The body is null.");
    }

    /// <summary>A JSON request body with the client's source-generated contract.</summary>
    public static HttpContent Json<T>(T body)
    {
        var info = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)ClientJsonContext.Default.GetTypeInfo(typeof(T))!;
        return System.Net.Http.Json.JsonContent.Create(body, info);
    }

    /// <summary>An OAuth form body (<c>application/x-www-form-urlencoded</c>), leaving out absent parameters.</summary>
    public static FormUrlEncodedContent Form(params (string Name, string? Value)[] parameters) =>
        new(parameters.Where(p => p.Value is not null).Select(p => new KeyValuePair<string, string>(p.Name, p.Value!)));
}
