using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using CredentialBroker.Server.Tests.ResourceServers;
using CredentialBroker.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.Tokens;

namespace CredentialBroker.Server.Tests.ProofOfPossession;

/// <summary>
/// Certificate-bound tokens (RFC 8705) on a real broker and Redis: an agent authenticated by its X.509-SVID over mutual TLS
/// gets access tokens bound to that certificate, and a task token bound to a certificate is used with that certificate only —
/// not with another valid SVID of the same workload, not without one. The resource-server library checks the same.
/// </summary>
public sealed class CertificateBoundTests : IAsyncDisposable
{
    private readonly TestPki _pki = new("test.example");
    private readonly BrokerApp _app = BrokerApp.Redis();
    private readonly X509Certificate2 _agentSvid;
    private readonly X509Certificate2 _anotherAgentSvid;

    public CertificateBoundTests()
    {
        _app.Settings["CredentialBroker:X509Bundles:test.example"] = _pki.BundleFile;
        _agentSvid = _pki.Issue(_app.AgentId);
        _anotherAgentSvid = _pki.Issue(_app.AgentId); // the same workload's other valid SVID (a rotation, another pod)
    }

    public async ValueTask DisposeAsync()
    {
        _agentSvid.Dispose();
        _anotherAgentSvid.Dispose();
        await _app.DisposeAsync();
        _pki.Dispose();
    }

    private static string Thumbprint(X509Certificate2 certificate) => Base64UrlEncoder.Encode(SHA256.HashData(certificate.RawData));

    /// <summary>Posts <paramref name="form"/> over a connection that showed <paramref name="certificate"/> (and no other credential unless <paramref name="bearer"/>).</summary>
    private async Task<(int Status, JsonObject Body)> PostAsync(string path, X509Certificate2? certificate, string? bearer, params (string Name, string Value)[] form)
    {
        var body = Encoding.UTF8.GetBytes(string.Join('&', form.Select(p => $"{Uri.EscapeDataString(p.Name)}={Uri.EscapeDataString(p.Value)}")));
        var context = await _app.Server.SendAsync(http =>
        {
            http.Request.Method = HttpMethods.Post;
            http.Request.Scheme = "https";
            http.Request.Path = path;
            http.Request.ContentType = "application/x-www-form-urlencoded";
            http.Request.ContentLength = body.Length;
            http.Request.Body = new MemoryStream(body);
            http.Connection.ClientCertificate = certificate;
            if (bearer is not null)
            {
                http.Request.Headers.Authorization = "Bearer " + bearer;
            }
        });
        var text = await new StreamReader(context.Response.Body).ReadToEndAsync();
        return (context.Response.StatusCode, text.Length == 0 ? [] : JsonNode.Parse(text)!.AsObject());
    }

    private Task<(int Status, JsonObject Body)> ExchangeAsync(string taskToken, X509Certificate2? certificate) =>
        PostAsync("/oauth2/token", certificate, certificate is null ? _app.Svid(BrokerApp.Agent) : null,
            ("grant_type", Api.TokenExchange), ("subject_token", taskToken), ("subject_token_type", Api.JwtType), ("resource", ResourceServer.Audience));

    [Test]
    public async Task An_agent_over_mutual_tls_gets_an_access_token_bound_to_its_certificate_and_one_over_a_jwt_svid_does_not()
    {
        var (_, token, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);
        var metadata = await (await _app.CreateClient().GetAsync("/.well-known/oauth-authorization-server")).JsonAsync();

        var overMtls = await ExchangeAsync(token, _agentSvid);
        var overJwtSvid = await ExchangeAsync(token, null);

        Assert.Multiple(() =>
        {
            Assert.That((bool?)metadata["tls_client_certificate_bound_access_tokens"], Is.True);
            Assert.That(overMtls.Status, Is.EqualTo(StatusCodes.Status200OK), overMtls.Body.ToJsonString());
            Assert.That((string?)overMtls.Body["token_type"], Is.EqualTo("Bearer"));
            Assert.That((string?)JwtParts.Payload((string)overMtls.Body["access_token"]!)["cnf"]!["x5t#S256"], Is.EqualTo(Thumbprint(_agentSvid)));
            Assert.That(overJwtSvid.Status, Is.EqualTo(StatusCodes.Status200OK));
            Assert.That(JwtParts.Payload((string)overJwtSvid.Body["access_token"]!)["cnf"]!.AsObject().ContainsKey("x5t#S256"), Is.False);
        });
    }

    [Test]
    public async Task A_certificate_bound_task_token_works_with_its_certificate_not_another_valid_svids_nor_none()
    {
        var body = Api.TaskBody(_app.AgentId).Replace("\"maxDelegationDepth\": 2", $"\"maxDelegationDepth\": 2, \"binding\": {{\"x5t#S256\": \"{Thumbprint(_agentSvid)}\"}}", StringComparison.Ordinal);
        var token = (string)(await (await _app.As(BrokerApp.Orchestrator).CreateTaskAsync(body)).JsonAsync())["token"]!;

        var right = await ExchangeAsync(token, _agentSvid);
        var another = await ExchangeAsync(token, _anotherAgentSvid);
        var none = await ExchangeAsync(token, null);

        Assert.Multiple(() =>
        {
            Assert.That((string?)JwtParts.Payload(token)["cnf"]!["x5t#S256"], Is.EqualTo(Thumbprint(_agentSvid)));
            Assert.That(right.Status, Is.EqualTo(StatusCodes.Status200OK), right.Body.ToJsonString());
            Assert.That((another.Status, (string?)another.Body["code"]), Is.EqualTo((400, "key-not-proven")));
            Assert.That((none.Status, (string?)none.Body["code"]), Is.EqualTo((400, "key-not-proven")));
            Assert.That((string?)none.Body["error_description"], Does.Contain("mutual TLS"));
        });
    }

    [Test]
    public async Task The_resource_server_accepts_a_certificate_bound_token_only_over_its_certificate()
    {
        await using var server = await ResourceServer.StartAsync(_app);
        await server.Feed.WhenCurrentAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        var (_, token, _) = await _app.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_app.AgentId);
        var accessToken = (string)(await ExchangeAsync(token, _agentSvid)).Body["access_token"]!;

        var right = await server.GetAsync(accessToken, _agentSvid);
        var another = await server.GetAsync(accessToken, _anotherAgentSvid);
        var none = await server.GetAsync(accessToken, null);

        Assert.Multiple(() =>
        {
            Assert.That(right.Status, Is.EqualTo(StatusCodes.Status200OK));
            Assert.That(another.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(another.Challenge, Does.Contain("another client certificate"));
            Assert.That(none.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
        });
    }
}
