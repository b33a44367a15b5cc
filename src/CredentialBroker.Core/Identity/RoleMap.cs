using CredentialBroker.Abstractions.Identity;

namespace CredentialBroker.Core.Identity;

/// <summary>Binds roles to SPIFFE ID patterns; a caller holds every role one of whose patterns matches its ID.</summary>
public sealed class RoleMap
{
    private readonly (SpiffeIdPattern Pattern, BrokerRoles Role)[] _bindings;

    /// <summary>Creates a role map from pattern bindings.</summary>
    public RoleMap(IEnumerable<(SpiffeIdPattern Pattern, BrokerRoles Role)> bindings)
    {
        ArgumentNullException.ThrowIfNull(bindings);
        _bindings = [.. bindings];
    }

    /// <summary>The roles <paramref name="id"/> holds.</summary>
    public BrokerRoles RolesOf(SpiffeId id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var roles = BrokerRoles.None;
        foreach (var (pattern, role) in _bindings)
        {
            if (pattern.Matches(id))
            {
                roles |= role;
            }
        }

        return roles;
    }
}
