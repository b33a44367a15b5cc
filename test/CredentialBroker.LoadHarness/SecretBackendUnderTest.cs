using System.Text.Json.Nodes;

namespace CredentialBroker.LoadHarness;

/// <summary>
/// A real downstream backend the broker issues secrets for (docs/backends.md), with the provider settings that point
/// the broker at it, and a login with an issued secret, as an agent would try it, to see whether the backend still
/// accepts it.
/// </summary>
internal abstract class SecretBackendUnderTest : IAsyncDisposable
{
    /// <summary>The provider kind: <c>postgresql</c> or <c>redis</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>The configured provider name.</summary>
    public abstract string Provider { get; }

    /// <summary>The resource tasks grant and exchanges name.</summary>
    public abstract string Resource { get; }

    /// <summary>The provider's settings as the broker's environment variables.</summary>
    public IReadOnlyDictionary<string, string> Environment
    {
        get
        {
            var at = $"CredentialBroker__Downstream__Providers__{Provider}__";
            var settings = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [at + "Kind"] = Kind,
                [at + "Resource"] = Resource,
                // Longer than any task lives, so a secret ends by its task's revocation (or its expiry), never by this cap.
                [at + "MaxTtl"] = "00:15:00",
            };
            foreach (var (name, value) in ProviderSettings)
            {
                settings[at + name] = value;
            }

            return settings;
        }
    }

    /// <summary>The kind's own settings (<c>ConnectionString</c>, <c>Roles__0</c>, <c>Acl</c>…), by name under the provider.</summary>
    protected abstract IEnumerable<(string Name, string Value)> ProviderSettings { get; }

    /// <summary>
    /// Logs in with the <c>secret</c> object of an exchange response and closes the session at once: <see langword="true"/>
    /// when the backend accepted the login, <see langword="false"/> when it refused the credentials. Anything else (an
    /// unreachable backend) throws: it is no answer.
    /// </summary>
    public abstract Task<bool> LogsInAsync(JsonObject secret);

    public abstract ValueTask DisposeAsync();
}
