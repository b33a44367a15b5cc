using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CredentialBroker.Client.ResourceServers;
using CredentialBroker.Server.Tests.OAuth;
using CredentialBroker.Testing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.Server.Tests.ResourceServers;

/// <summary>
/// The resource-server library's transaction-token scheme against a real broker on a real Redis: a transaction token in the
/// <c>Txn-Token</c> header is accepted, its claims reach the application, and it is refused once revoked (by the feed, or by
/// introspection while the feed is down), forged, expired, of another type, for another trust domain, or sent anywhere else.
/// </summary>
public sealed class TransactionTokenResourceServerTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly BrokerApp _broker = BrokerApp.Redis();

    public TransactionTokenResourceServerTests() => _broker.Settings["CredentialBroker:TransactionTokens:TrustDomain"] = TransactionTokenEndpointTests.TrustDomain;

    public void Dispose() => _broker.Dispose();

    private async Task<(string TaskId, string TaskToken, string Txn)> TransactionTokenAsync()
    {
        var (taskId, taskToken, _) = await _broker.As(BrokerApp.Orchestrator).CreateTaskOkAsync(_broker.AgentId);
        var response = await TransactionTokenEndpointTests.RequestAsync(_broker.As(BrokerApp.Agent), taskToken, "sql.query:read");
        response.EnsureSuccessStatusCode();
        return (taskId, taskToken, (string)(await response.JsonAsync())["access_token"]!);
    }

    /// <summary>A workload of the trust domain that reads its caller's transaction token and answers with its claims.</summary>
    private sealed class Workload : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Workload(WebApplication app) => _app = app;

        public static async Task<Workload> StartAsync(BrokerApp broker, string trustDomain = TransactionTokenEndpointTests.TrustDomain, bool feedBlocked = false, Action<RevokedCredential>? onRevoked = null)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseTestServer();
            var http = builder.Services.AddHttpClient(BrokerAuthenticationExtensions.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => broker.Server.CreateHandler());
            if (feedBlocked)
            {
                http.AddHttpMessageHandler(() => new NoFeed());
            }

            builder.Services.AddAuthentication().AddCredentialBrokerTransactionTokens(options =>
            {
                options.Issuer = broker.Issuer;
                options.Audience = trustDomain;
                options.CallerToken = _ => ValueTask.FromResult(broker.Svid(BrokerApp.ResourceServer));
                options.OnRevoked = onRevoked;
            });
            builder.Services.AddAuthorization();
            var app = builder.Build();
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapGet("/work", (HttpContext context) => new JsonObject
            {
                ["txn"] = context.User.FindFirst("txn")?.Value,
                ["req_wl"] = context.User.FindFirst("req_wl")?.Value,
                ["scope"] = context.User.FindFirst("scope")?.Value,
                ["workflow"] = context.User.FindFirst("tctx")?.Value is { } tctx ? (string?)JsonNode.Parse(tctx)!["workflow"]!["id"] : null,
            }.ToJsonString()).RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = BrokerAuthenticationExtensions.TransactionTokenScheme });
            await app.StartAsync();
            return new Workload(app);
        }

        public RevocationFeedFollower Feed => _app.Services.GetRequiredKeyedService<RevocationFeedFollower>(BrokerAuthenticationExtensions.TransactionTokenScheme);

        /// <summary>GET /work with <paramref name="txnToken"/> in the Txn-Token header, or in Authorization when <paramref name="asBearer"/>.</summary>
        public async Task<(int Status, string Body)> GetAsync(string txnToken, bool asBearer = false)
        {
            var context = await _app.GetTestServer().SendAsync(http =>
            {
                http.Request.Method = HttpMethods.Get;
                http.Request.Path = "/work";
                if (asBearer)
                {
                    http.Request.Headers.Authorization = "Bearer " + txnToken;
                }
                else
                {
                    http.Request.Headers[BrokerAuthenticationExtensions.TransactionTokenHeader] = txnToken;
                }
            });
            return (context.Response.StatusCode, await new StreamReader(context.Response.Body).ReadToEndAsync());
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private sealed class NoFeed : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            request.RequestUri!.AbsolutePath == "/v1/revocations/feed"
                ? Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.BadGateway))
                : base.SendAsync(request, cancellationToken);
    }

    [Test]
    public async Task A_transaction_token_in_the_Txn_Token_header_is_accepted_with_its_claims_until_the_feed_brings_its_revocation()
    {
        var revoked = new TaskCompletionSource<RevokedCredential>(TaskCreationOptions.RunContinuationsAsynchronously);
        string? watched = null;
        await using var workload = await Workload.StartAsync(_broker, onRevoked: r =>
        {
            if (r.Jti == Volatile.Read(ref watched))
            {
                revoked.TrySetResult(r);
            }
        });
        await workload.Feed.WhenCurrentAsync(CancellationToken.None).WaitAsync(Patience);
        var (taskId, _, txn) = await TransactionTokenAsync();
        Volatile.Write(ref watched, (string?)JwtParts.Payload(txn)["jti"]);

        var before = await workload.GetAsync(txn);
        (await _broker.As(BrokerApp.Orchestrator).ChangeStateAsync(taskId, "completed")).EnsureSuccessStatusCode();
        var revocation = await revoked.Task.WaitAsync(Patience);
        var after = await workload.GetAsync(txn);
        var claims = JsonNode.Parse(before.Body)!;

        Assert.Multiple(() =>
        {
            Assert.That(before.Status, Is.EqualTo(StatusCodes.Status200OK));
            Assert.That((string?)claims["txn"], Is.EqualTo(taskId));
            Assert.That((string?)claims["req_wl"], Is.EqualTo(_broker.AgentId));
            Assert.That((string?)claims["scope"], Is.EqualTo("sql.query:read"));
            Assert.That((string?)claims["workflow"], Is.EqualTo("wf-invoices"));
            Assert.That(revocation.Reason, Is.EqualTo("task_completed"));
            Assert.That(after.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
        });
    }

    [Test]
    public async Task While_the_feed_is_down_a_transaction_token_is_introspected_and_refused_once_revoked()
    {
        await using var workload = await Workload.StartAsync(_broker, feedBlocked: true);
        var (_, taskToken, txn) = await TransactionTokenAsync();

        var before = await workload.GetAsync(txn);
        (await _broker.As(BrokerApp.Agent).RevokeAsync(taskToken)).EnsureSuccessStatusCode();
        var after = await workload.GetAsync(txn);

        Assert.Multiple(() =>
        {
            Assert.That(workload.Feed.IsCurrent, Is.False);
            Assert.That(before.Status, Is.EqualTo(StatusCodes.Status200OK), "the broker lets a resource server of the trust domain introspect it");
            Assert.That(after.Status, Is.EqualTo(StatusCodes.Status401Unauthorized), "revoking the task token revoked its transaction token");
        });
    }

    [Test]
    public async Task Forged_expired_mistyped_foreign_or_misplaced_transaction_tokens_are_refused()
    {
        await using var workload = await Workload.StartAsync(_broker);
        await using var otherDomain = await Workload.StartAsync(_broker, trustDomain: "other.example");
        await workload.Feed.WhenCurrentAsync(CancellationToken.None).WaitAsync(Patience);
        await otherDomain.Feed.WhenCurrentAsync(CancellationToken.None).WaitAsync(Patience);
        var (_, taskToken, txn) = await TransactionTokenAsync();
        var accessToken = (string)(await (await _broker.As(BrokerApp.Agent).AccessTokenAsync(taskToken)).JsonAsync())["access_token"]!;

        // Signed with the broker's own key, but ten minutes in the past: only exp is wrong.
        var payload = JwtParts.Payload(txn);
        foreach (var claim in (string[])["iat", "nbf", "exp"])
        {
            payload[claim] = (long)payload[claim]! - 600;
        }

        using var brokerKey = ECDsa.Create();
        brokerKey.ImportFromPem(File.ReadAllText(_broker.SigningKeyPath));
        var expired = JwtForge.Es256(JwtParts.Header(txn).ToJsonString(), payload.ToJsonString(), brokerKey);
        var reSigned = JwtForge.Es256(JwtParts.Header(txn).ToJsonString(), JwtParts.Payload(txn).ToJsonString(), brokerKey);

        var valid = await workload.GetAsync(txn);
        var forged = await workload.GetAsync(JwtForge.FlipSignatureBit(txn));
        var stale = await workload.GetAsync(expired);
        var current = await workload.GetAsync(reSigned);
        var accessTokenInstead = await workload.GetAsync(accessToken);
        var taskTokenInstead = await workload.GetAsync(taskToken);
        var foreign = await otherDomain.GetAsync(txn);
        var inAuthorization = await workload.GetAsync(txn, asBearer: true);

        Assert.Multiple(() =>
        {
            Assert.That(valid.Status, Is.EqualTo(StatusCodes.Status200OK));
            Assert.That(forged.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(stale.Status, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(current.Status, Is.EqualTo(StatusCodes.Status200OK), "the same signing, with the claims unchanged, is accepted: only exp was wrong");
            Assert.That(accessTokenInstead.Status, Is.EqualTo(StatusCodes.Status401Unauthorized), "typ at+jwt is not txntoken+jwt");
            Assert.That(taskTokenInstead.Status, Is.EqualTo(StatusCodes.Status401Unauthorized), "typ task+jwt is not txntoken+jwt");
            Assert.That(foreign.Status, Is.EqualTo(StatusCodes.Status401Unauthorized), "aud is another trust domain");
            Assert.That(inAuthorization.Status, Is.EqualTo(StatusCodes.Status401Unauthorized), "the draft forbids the Authorization header");
        });
    }
}
