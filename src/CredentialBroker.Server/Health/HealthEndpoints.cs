using CredentialBroker.Abstractions.Storage;
using CredentialBroker.EmbeddedStore;

namespace CredentialBroker.Server.Health;

/// <summary><c>/healthz</c>: the process is up. <c>/readyz</c>: the store answers, so the broker can serve.</summary>
internal static class HealthEndpoints
{
    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Text("ok")).AllowAnonymous();
        app.MapGet("/readyz", async (ICredentialStore store, CancellationToken cancellationToken) =>
        {
            // StoreUnavailableException propagates to the handler that answers 503 with Retry-After.
            await store.PingAsync(cancellationToken);
            return TypedResults.Text("ready");
        }).AllowAnonymous();
    }
}
