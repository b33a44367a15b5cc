using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Client.ResourceServers;

/// <summary>
/// OAuth 2.0 Protected Resource Metadata (RFC 9728) for a resource server that accepts broker access tokens: the
/// document that tells a client — an MCP client, say — which authorization server issues tokens for this resource
/// (the broker) and how to present them. Turn on <see cref="BrokerTokenOptions.AdvertiseResourceMetadata"/> and map the
/// document with <see cref="MapBrokerResourceMetadata"/>; every 401 then names it in <c>resource_metadata</c>.
/// </summary>
public static class ProtectedResourceMetadata
{
    /// <summary>The well-known URI suffix of RFC 9728 §3: <c>/.well-known/oauth-protected-resource</c>.</summary>
    public const string WellKnownPath = "/.well-known/oauth-protected-resource";

    // Tokens come in the Authorization header only (RFC 6750 §2.1), never in a form body or the query.
    private static readonly string[] BearerMethods = ["header"];

    /// <summary>
    /// Where the metadata of <paramref name="resource"/> is (RFC 9728 §3.1): the well-known suffix inserted between the
    /// host and the path, a terminating slash dropped. <c>https://mcp.example/mcp</c> →
    /// <c>https://mcp.example/.well-known/oauth-protected-resource/mcp</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="resource"/> is not an absolute HTTP(S) URL without query and fragment.</exception>
    public static Uri LocationFor(string resource)
    {
        if (Problem(resource, requireHttps: false) is { } problem)
        {
            throw new ArgumentException($"The resource '{resource}' {problem}.", nameof(resource));
        }

        var uri = new Uri(resource);
        return new Uri(uri.GetLeftPart(UriPartial.Authority) + WellKnownPath + uri.AbsolutePath.TrimEnd('/'));
    }

    /// <summary>
    /// Serves the metadata of scheme <paramref name="scheme"/>'s resource (its <see cref="BrokerTokenOptions.Audience"/>)
    /// at <see cref="LocationFor"/>'s path, to anyone: <c>resource</c> (the audience), <c>authorization_servers</c>
    /// (the broker's issuer), <c>bearer_methods_supported</c> (<c>header</c>), <c>tls_client_certificate_bound_access_tokens</c>,
    /// <c>dpop_signing_alg_values_supported</c> (<see cref="BrokerTokenOptions.DpopAlgorithms"/>) and
    /// <c>dpop_bound_access_tokens_required</c> (false: the broker binds every token to its holder's SPIFFE ID; DPoP is one way).
    /// </summary>
    /// <exception cref="InvalidOperationException">The scheme does not advertise resource metadata.</exception>
    public static IEndpointConventionBuilder MapBrokerResourceMetadata(this IEndpointRouteBuilder endpoints, string scheme = BrokerAuthenticationExtensions.DefaultScheme)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        var options = endpoints.ServiceProvider.GetRequiredService<IOptionsMonitor<BrokerTokenOptions>>();
        var settings = options.Get(scheme);
        if (!settings.AdvertiseResourceMetadata || settings.Audience is null)
        {
            throw new InvalidOperationException($"The CredentialBroker scheme '{scheme}' does not advertise resource metadata: set AdvertiseResourceMetadata and an HTTPS URL as Audience.");
        }

        return endpoints.MapGet(LocationFor(settings.Audience).AbsolutePath, () =>
        {
            var current = options.Get(scheme);
            return Results.Json(new Dictionary<string, object>
            {
                ["resource"] = current.Audience!,
                ["authorization_servers"] = new[] { current.Issuer! }, // exactly the tokens' iss and the broker's issuer (RFC 8414 §3.3)
                ["bearer_methods_supported"] = BearerMethods,
                ["tls_client_certificate_bound_access_tokens"] = true,
                ["dpop_signing_alg_values_supported"] = current.DpopAlgorithms.ToArray(),
                ["dpop_bound_access_tokens_required"] = false,
            });
        }).AllowAnonymous();
    }

    /// <summary>Why <paramref name="resource"/> cannot be a protected resource's identifier (RFC 9728 §1.2), or null.</summary>
    internal static string? Problem(string? resource, bool requireHttps) =>
        !Uri.TryCreate(resource, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) ? "is not an absolute HTTP(S) URL"
        : requireHttps && uri.Scheme != Uri.UriSchemeHttps ? "is not HTTPS"
        : uri.Query.Length > 0 || uri.Fragment.Length > 0 || resource!.Contains('#', StringComparison.Ordinal) ? "has a query or a fragment"
        : null;
}
