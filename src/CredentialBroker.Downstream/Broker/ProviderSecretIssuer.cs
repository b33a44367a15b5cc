using CredentialBroker.Abstractions.Secrets;
using CredentialBroker.Downstream.Providers;

namespace CredentialBroker.Downstream.Broker;

/// <summary>The broker's <see cref="ISecretIssuer"/> port over the configured providers.</summary>
internal sealed class ProviderSecretIssuer(SecretProviders providers) : ISecretIssuer
{
    public SecretTarget? Find(string resource) =>
        providers.ForResource(resource) is { } provider ? new SecretTarget(provider.Name, provider.Kind, provider.Resource, provider.MaxTtl) : null;

    public SecretPlan Plan(SecretTarget target, string jti, DateTimeOffset expiresAt)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new SecretPlan(target, jti, Provider(target.Provider).Plan(jti, expiresAt).Username, expiresAt);
    }

    public async ValueTask<IssuedSecretValue> IssueAsync(SecretPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        try
        {
            var issued = await Provider(plan.Target.Provider).IssueAsync(new SecretHandle(plan.Jti, plan.Target.Provider, plan.Username, null, plan.ExpiresAt), cancellationToken);
            return new IssuedSecretValue(issued.Secret, issued.Handle.LeaseId, issued.Fields);
        }
        catch (DownstreamException ex)
        {
            throw new SecretIssueException(ex.Message, ex) { Transient = ex.Transient };
        }
    }

    private ISecretProvider Provider(string name) =>
        providers.ByName(name) ?? throw new InvalidOperationException($"The downstream provider '{name}' is not configured.");
}
