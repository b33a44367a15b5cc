using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace CredentialBroker.Client.ResourceServers;

/// <summary>Endpoints from the broker's discovery document (RFC 8414).</summary>
internal static class BrokerMetadata
{
    public const string RevocationFeedEndpoint = "revocation_feed_endpoint";
    public const string IntrospectionEndpoint = "introspection_endpoint";

    /// <summary>The endpoint <paramref name="name"/>, checked: present, absolute, HTTPS when required.</summary>
    /// <exception cref="InvalidOperationException">The document does not name a usable endpoint.</exception>
    public static Uri Endpoint(OpenIdConnectConfiguration metadata, string name, bool requireHttps)
    {
        var value = name == IntrospectionEndpoint
            ? metadata.IntrospectionEndpoint
            : metadata.AdditionalData.TryGetValue(name, out var extra) ? extra as string : null;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && (requireHttps || uri.Scheme != Uri.UriSchemeHttp)))
        {
            throw new InvalidOperationException($"The broker's discovery document has no usable {name}{(requireHttps ? " (HTTPS is required)" : string.Empty)}.");
        }

        return uri;
    }
}
