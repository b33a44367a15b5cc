using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CredentialBroker.Core.Introspection;

/// <summary>
/// RFC 7662 introspection. A token is active only if the broker signed it, it is current, the store holds
/// its credential, the store says that credential is neither revoked nor expired, and no SOC bulk revocation in
/// force selects it (or an ancestor). What a caller may learn is scoped (RFC 7662 §4): the SOC any token; a resource
/// server access tokens for the resources configured for it and transaction tokens (never task or delegated tokens); anyone else tokens it
/// holds or whose task it created. For every other token the answer is simply inactive (§2.2).
/// </summary>
public sealed partial class IntrospectionService
{
    private static readonly string[] IntrospectableTypes = [TokenTypes.Task, TokenTypes.AccessToken, TokenTypes.TxnToken];

    private readonly BrokerTokenValidator _validator;
    private readonly ICredentialStore _store;
    private readonly IRevocationRules _rules;
    private readonly IReadOnlyList<(string Pattern, IReadOnlySet<string> Resources)> _resourceServers;
    private readonly TimeProvider _time;
    private readonly ILogger<IntrospectionService> _logger;

    /// <summary>Creates the service.</summary>
    public IntrospectionService(
        BrokerTokenValidator validator,
        ICredentialStore store,
        IRevocationRules rules,
        Microsoft.Extensions.Options.IOptions<CredentialBrokerOptions> options,
        [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time,
        ILogger<IntrospectionService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _validator = validator;
        _store = store;
        _rules = rules;
        _resourceServers = [.. options.Value.ResourceServers.Values.Select(r => (r.Id!, (IReadOnlySet<string>)r.Resources.ToHashSet(StringComparer.Ordinal)))];
        _time = time;
        _logger = logger;
    }

    /// <summary>The verified token when it is active for <paramref name="caller"/>, otherwise <see langword="null"/>.</summary>
    /// <exception cref="StoreUnavailableException">The store did not answer; nothing may be called active.</exception>
    public async ValueTask<JsonWebToken?> IntrospectAsync(CallerIdentity caller, string? token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var validation = await _validator.ValidateAsync(token, IntrospectableTypes);
        if (!validation.IsValid)
        {
            LogRejected(_logger, validation.Failure.Value);
            return null;
        }

        var jwt = validation.Token;
        if (!jwt.TryGetPayloadValue<string>("task_id", out var taskId))
        {
            LogInactive(_logger, "no_task", jwt.Id);
            return null;
        }

        var lookup = await _store.GetCredentialAsync(taskId, jwt.Id, cancellationToken);
        var now = _time.GetUtcNow();
        if (lookup is null || lookup.Credential.StatusAt(now) != CredentialStatus.Active)
        {
            LogInactive(_logger, lookup is null ? "unknown" : "not_active", jwt.Id);
            return null;
        }

        // A SOC bulk revocation is in force before its fan-out reaches this record.
        if (_rules.RevokedBy(lookup, now) is not null)
        {
            LogInactive(_logger, "bulk_revoked", jwt.Id);
            return null;
        }

        var allowed = caller.HasAnyRole(BrokerRoles.Soc)
            || string.Equals(caller.Id.Value, lookup.Credential.Holder, StringComparison.Ordinal)
            || string.Equals(caller.Id.Value, lookup.Task.CreatedBy, StringComparison.Ordinal)
            || (caller.HasAnyRole(BrokerRoles.ResourceServer) && ServesResourceOf(caller, lookup.Credential));
        if (!allowed)
        {
            LogInactive(_logger, "caller_not_entitled", jwt.Id);
            return null;
        }

        return jwt;
    }

    // A transaction token is for its whole trust domain (draft-ietf-oauth-transaction-tokens-10 §7.2): every resource server
    // it may reach learns its status.
    private bool ServesResourceOf(CallerIdentity caller, CredentialRecord credential) =>
        credential.Kind == CredentialKind.TxnToken
        || (credential is { Kind: CredentialKind.AccessToken, Audience: { } audience }
            && _resourceServers.Any(r => r.Resources.Contains(audience) && SpiffeIdPattern.Matches(r.Pattern, caller.Id.Value)));

    [LoggerMessage(EventId = 1201, EventName = "IntrospectedInvalid", Level = LogLevel.Debug,
        Message = "Introspection answered inactive: the token failed validation ({Failure})")]
    private static partial void LogRejected(ILogger logger, JwtValidationFailure failure);

    [LoggerMessage(EventId = 1200, EventName = "IntrospectedInactive", Level = LogLevel.Debug,
        Message = "Introspection answered inactive ({Why}) for jti {Jti}")]
    private static partial void LogInactive(ILogger logger, string why, string? jti);
}
