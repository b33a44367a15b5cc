using CredentialBroker.Abstractions.Identity;

namespace CredentialBroker.Server.Identity;

/// <summary>The authenticated caller of a request, as the domain services take it.</summary>
internal static class CallerEndpointExtensions
{
    /// <summary>The caller the SPIFFE authentication handler authenticated (endpoints that require authorization only).</summary>
    public static CallerIdentity Caller(this HttpContext context) =>
        (context.User.Identity as SpiffeIdentity)?.Caller ?? throw new InvalidOperationException("The endpoint does not require an authenticated caller.");
}
