using CredentialBroker.Downstream.Providers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CredentialBroker.Downstream.PostgreSql;

/// <summary>
/// The <c>postgresql</c> kind: a login role per secret on one PostgreSQL server, member of configured roles. Only the
/// syntax of the settings is checked here; what the admin role may do is the operator's least-privilege decision
/// (docs/backends.md).
/// </summary>
internal sealed class PostgreSqlProviderKind : ISecretProviderKind
{
    public const string Name = "postgresql";

    public string Kind => Name;

    public void Validate(string name, ProviderOptions options, ICollection<string> failures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(failures);
        var at = $"{DownstreamOptions.SectionName}:Providers:{name}";
        string? adminRole = null;
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add($"{at}:ConnectionString is required for kind postgresql: an Npgsql connection string of the broker's admin role.");
        }
        else
        {
            try
            {
                var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
                adminRole = builder.Username;
                if (string.IsNullOrWhiteSpace(builder.Host))
                {
                    failures.Add($"{at}:ConnectionString must name the server (Host=…): agents are given that host and port.");
                }
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
            {
                // Npgsql names the keyword it could not take, never a value.
                failures.Add($"{at}:ConnectionString is not an Npgsql connection string: {ex.Message}");
            }
        }

        for (var i = 0; i < options.Roles.Count; i++)
        {
            var role = options.Roles[i];
            if (!PostgreSqlSyntax.IsPlainIdentifier(role))
            {
                // The value is not echoed: it may hold anything, line breaks included.
                failures.Add($"{at}:Roles:{i} must be a plain PostgreSQL role name: 1 to {PostgreSqlSyntax.MaxIdentifierBytes} ASCII letters, digits or '_' (it is used exactly, case included).");
            }
            else if (string.Equals(role, adminRole, StringComparison.Ordinal))
            {
                failures.Add($"{at}:Roles:{i} is the broker's own admin role: secrets must never become members of it.");
            }
        }
    }

    public ISecretProvider Create(string name, ProviderOptions options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var loggers = services.GetService(typeof(ILoggerFactory)) as ILoggerFactory ?? NullLoggerFactory.Instance;
        return new PostgreSqlSecretProvider(name, options, loggers.CreateLogger<PostgreSqlSecretProvider>());
    }
}
