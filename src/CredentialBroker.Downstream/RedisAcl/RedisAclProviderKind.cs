using CredentialBroker.Downstream.Providers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace CredentialBroker.Downstream.RedisAcl;

/// <summary>The <c>redis</c> kind: an ACL user per secret on every node of a Redis server or cluster.</summary>
internal sealed class RedisAclProviderKind : ISecretProviderKind
{
    public const string Name = "redis";

    public string Kind => Name;

    public void Validate(string name, ProviderOptions options, ICollection<string> failures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(failures);
        var at = $"{DownstreamOptions.SectionName}:Providers:{name}";
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add($"{at}:ConnectionString is required for kind redis: a StackExchange.Redis configuration string of the broker's admin user.");
        }
        else
        {
            try
            {
                if (ConfigurationOptions.Parse(options.ConnectionString).EndPoints.Count == 0)
                {
                    failures.Add($"{at}:ConnectionString must name at least one endpoint (host:port).");
                }
            }
            catch (ArgumentException ex)
            {
                // StackExchange.Redis names the keyword it could not take, never a value.
                failures.Add($"{at}:ConnectionString is not a StackExchange.Redis configuration string: {ex.Message}");
            }
        }

        foreach (var problem in RedisAclRules.Problems(options.Acl))
        {
            failures.Add($"{at}:Acl {problem}");
        }
    }

    public ISecretProvider Create(string name, ProviderOptions options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var loggers = services.GetService(typeof(ILoggerFactory)) as ILoggerFactory ?? NullLoggerFactory.Instance;
        return new RedisAclSecretProvider(name, options, loggers.CreateLogger<RedisAclSecretProvider>());
    }
}
