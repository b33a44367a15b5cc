using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CredentialBroker.Server.Tests.Identity;

/// <summary>
/// Deny by default: every endpoint the broker maps refuses a request without credentials (401), except the few that are
/// open on purpose — discovery (OAuth and Shared Signals), the JWKS, health, metrics, and the Shared Signals receiver (whose events carry their
/// own signatures). A new endpoint that forgets to declare its policy is caught here.
/// </summary>
public sealed class EndpointAuthorizationTests
{
    private static readonly HashSet<string> Anonymous = new(StringComparer.Ordinal)
    {
        "GET /.well-known/oauth-authorization-server",
        "GET /.well-known/openid-configuration",
        "GET /.well-known/jwks.json",
        "GET /v1/status-lists",         // Token Status Lists are public, like the JWKS (draft-ietf-oauth-status-list §8.1)
        "GET /v1/status-lists/{list}",
        "GET /healthz",
        "GET /readyz",
        "GET /metrics",
        "POST /v1/ssf/events",
        "GET /.well-known/ssf-configuration", // SSF 1.0 §7.2: transmitter metadata is public, like the OAuth metadata
    };

    private static IEnumerable<(string Method, string Route)> MappedEndpoints(BrokerApp app) =>
        app.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => (m, "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .Distinct();

    private static string Concrete(string route) =>
        System.Text.RegularExpressions.Regex.Replace(route, @"\{\*\*[^}]+\}", "test.example/x").Replace("{", "x", StringComparison.Ordinal).Replace("}", string.Empty, StringComparison.Ordinal);

    [Test]
    public async Task Every_endpoint_without_credentials_is_refused_unless_it_is_open_on_purpose()
    {
        await using var app = BrokerApp.Redis();
        using var anonymous = app.CreateClient();
        var endpoints = MappedEndpoints(app).ToList();
        var answers = new List<(string Endpoint, HttpStatusCode Status)>();
        foreach (var (method, route) in endpoints)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), Concrete(route));
            if (method is "POST" or "PUT")
            {
                request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
            }

            using var response = await anonymous.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            answers.Add(($"{method} {route}", response.StatusCode));
        }

        Assert.Multiple(() =>
        {
            Assert.That(endpoints, Has.Count.GreaterThan(20), "the enumeration found the broker's endpoints");
            Assert.That(answers.Where(a => !Anonymous.Contains(a.Endpoint) && a.Status != HttpStatusCode.Unauthorized).Select(a => $"{a.Endpoint} -> {(int)a.Status}"),
                Is.Empty, "answered without credentials");
            Assert.That(answers.Where(a => Anonymous.Contains(a.Endpoint) && a.Status == HttpStatusCode.Unauthorized).Select(a => a.Endpoint),
                Is.Empty, "open endpoints stay open");
            Assert.That(Anonymous.Except(answers.Select(a => a.Endpoint)), Is.Empty, "every open endpoint still exists");
        });
    }

    [Test]
    public async Task Only_the_open_endpoints_carry_allow_anonymous_and_every_other_declares_a_policy()
    {
        await using var app = BrokerApp.Redis();
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Name: $"{e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods[0] ?? "GET"} /{e.RoutePattern.RawText!.TrimStart('/')}",
                Anonymous: e.Metadata.GetMetadata<IAllowAnonymous>() is not null,
                Policy: e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).FirstOrDefault()))
            .ToList();

        Assert.Multiple(() =>
        {
            Assert.That(endpoints.Where(e => e.Anonymous).Select(e => e.Name), Is.EquivalentTo(Anonymous));
            Assert.That(endpoints.Where(e => !e.Anonymous && e.Policy is null).Select(e => e.Name), Is.Empty, "every other endpoint names its policy");
        });
    }
}
