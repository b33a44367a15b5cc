using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Issuance;
using CredentialBroker.Core.Tasks;
using CredentialBroker.EmbeddedStore;

namespace CredentialBroker.Server.Tasks;

/// <summary>
/// Turns a <c>POST /v1/tasks</c> body into a <see cref="TaskDraft"/>, or lists every problem with it at once: the
/// request's shape here, the domain's rules (<see cref="TaskRules"/>) asked field by field.
/// </summary>
internal static class TaskRequestValidator
{
    private const int MaxIdLength = 256;
    private const int MaxDestinationLength = 2048;
    private const int MaxGrants = 64;
    private const int MaxActions = 32;
    private const int MaxMayAct = 16;

    public static TaskDraft? Validate(CreateTaskRequest request, TaskRules rules, out Dictionary<string, string[]> errors)
    {
        var found = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Fail(string field, string message)
        {
            if (!found.TryGetValue(field, out var list))
            {
                found[field] = list = [];
            }

            list.Add(message);
        }

        if (!SpiffeId.TryParse(request.Agent, out var agent, out var agentError))
        {
            Fail("agent", agentError);
        }
        else if (rules.AgentProblem(agent) is { } agentProblem)
        {
            Fail("agent", agentProblem);
        }

        if (request.Workflow is null)
        {
            Fail("workflow", "required");
        }
        else
        {
            Text(request.Workflow.Id, "workflow.id", required: true, MaxIdLength, Fail);
            Text(request.Workflow.Designer, "workflow.designer", required: false, MaxIdLength, Fail);
            Text(request.Workflow.Version, "workflow.version", required: false, MaxIdLength, Fail);
        }

        if (request.Authorization is not { Count: > 0 })
        {
            Fail("authorization", "at least one grant is required");
        }
        else if (request.Authorization.Count > MaxGrants)
        {
            Fail("authorization", $"at most {MaxGrants} grants");
        }
        else
        {
            for (var i = 0; i < request.Authorization.Count; i++)
            {
                var grant = request.Authorization[i];
                var at = $"authorization[{i}]";
                if (grant is null)
                {
                    Fail(at, "must be an object");
                    continue;
                }

                if (Text(grant.Tool, at + ".tool", required: true, MaxIdLength, Fail) && !IsName(grant.Tool!, allowSlash: true))
                {
                    Fail(at + ".tool", "may hold only letters, digits, '.', '-', '_' and '/'");
                }

                if (Text(grant.Destination, at + ".destination", required: true, MaxDestinationLength, Fail)
                    && DestinationProblem(grant.Destination!) is { } problem)
                {
                    Fail(at + ".destination", problem);
                }

                if (grant.Actions is not { Count: > 0 } || grant.Actions.Count > MaxActions)
                {
                    Fail(at + ".actions", $"between 1 and {MaxActions} actions are required");
                }
                else
                {
                    for (var j = 0; j < grant.Actions.Count; j++)
                    {
                        if (Text(grant.Actions[j], $"{at}.actions[{j}]", required: true, 64, Fail) && !IsName(grant.Actions[j], allowSlash: false))
                        {
                            Fail($"{at}.actions[{j}]", "may hold only letters, digits, '.', '-' and '_'");
                        }
                    }
                }

                if (Text(grant.DataClass, at + ".dataClass", required: false, 64, Fail) && grant.Destination is not null
                    && rules.DataClassProblem(grant.Destination, grant.DataClass) is { } dataClassProblem)
                {
                    Fail(at + ".dataClass", dataClassProblem);
                }
            }
        }

        var ttl = TimeSpan.Zero;
        if (request.TtlSeconds is not { } seconds)
        {
            Fail("ttlSeconds", "required");
        }
        else
        {
            ttl = TimeSpan.FromSeconds(seconds);
            if (rules.TtlProblem(ttl) is { } ttlProblem)
            {
                Fail("ttlSeconds", ttlProblem);
            }
        }

        if (request.Approval is { } approval)
        {
            Text(approval.Id, "approval.id", required: true, MaxIdLength, Fail);
            Text(approval.Approver, "approval.approver", required: true, MaxIdLength, Fail);
            if (approval.ApprovedAt is null)
            {
                Fail("approval.approvedAt", "required (RFC 3339)");
            }
        }

        if (request.Origin is { } origin)
        {
            Text(origin.PromptId, "origin.promptId", required: false, MaxIdLength, Fail);
            Text(origin.RequestedBy, "origin.requestedBy", required: false, MaxIdLength, Fail);
            if (origin.PromptSha256 is not null && (origin.PromptSha256.Length != 64 || !origin.PromptSha256.All(char.IsAsciiHexDigitLower)))
            {
                Fail("origin.promptSha256", "must be 64 lowercase hex digits");
            }
        }

        if (request.MayAct is { } mayAct)
        {
            if (mayAct.Count > MaxMayAct)
            {
                Fail("mayAct", $"at most {MaxMayAct} patterns");
            }

            for (var i = 0; i < mayAct.Count; i++)
            {
                if (!SpiffeIdPattern.TryParse(mayAct[i], out _, out var patternError))
                {
                    Fail($"mayAct[{i}]", patternError + " (a SPIFFE ID, or a prefix ending in '/')");
                }
            }
        }

        KeyBinding? binding = null;
        if (request.Binding is { } bound)
        {
            if ((bound.Jkt is null) == (bound.X5tS256 is null))
            {
                Fail("binding", "exactly one of 'jkt' (a DPoP key's RFC 7638 thumbprint) or 'x5t#S256' (a client certificate's SHA-256 thumbprint)");
            }
            else if (bound.Jkt is { } jkt)
            {
                binding = KeyBinding.IsThumbprint(jkt) ? KeyBinding.Jkt(jkt) : null;
                if (binding is null)
                {
                    Fail("binding.jkt", "must be a base64url SHA-256 thumbprint (43 characters)");
                }
            }
            else
            {
                binding = KeyBinding.IsThumbprint(bound.X5tS256) ? KeyBinding.X5tS256(bound.X5tS256!) : null;
                if (binding is null)
                {
                    Fail("binding.x5t#S256", "must be a base64url SHA-256 thumbprint (43 characters)");
                }
            }
        }

        var depth = request.MaxDelegationDepth ?? 0;
        if (rules.DepthProblem(depth) is { } depthProblem)
        {
            Fail("maxDelegationDepth", depthProblem);
        }

        errors = found.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
        if (errors.Count > 0)
        {
            return null;
        }

        return new TaskDraft(
            agent!.Value,
            new WorkflowRef(request.Workflow!.Id!, request.Workflow.Designer, request.Workflow.Version),
            [.. request.Authorization!.Select(g => new AuthorizationGrant(g.Tool!, g.Destination!, [.. g.Actions!], g.DataClass))],
            ttl,
            request.Approval is { } a ? new TaskApproval(a.Id!, a.Approver!, a.ApprovedAt!.Value.ToUniversalTime()) : null,
            request.Origin is { } o ? new TaskOrigin(o.PromptId, o.PromptSha256, o.RequestedBy) : null,
            depth,
            request.MayAct ?? [],
            binding);
    }

    private static bool IsName(string value, bool allowSlash) =>
        value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' || (allowSlash && c == '/'));

    /// <summary>
    /// Destinations are compared exactly when an access token names its audience, so only unambiguous
    /// spellings are accepted: no user info (<c>https://allowed@evil</c>), no fragment, an ASCII lowercase host
    /// without a trailing dot (IDN hosts in punycode), IPv4 hosts only in dotted-decimal form, lowercase scheme.
    /// </summary>
    private static string? DestinationProblem(string destination)
    {
        if (destination.Any(char.IsControl))
        {
            return "must not contain control characters";
        }

        if (!Uri.TryCreate(destination, UriKind.Absolute, out var uri))
        {
            return "must be an absolute URI, for example postgres://payments";
        }

        if (!destination.StartsWith(uri.Scheme + ":", StringComparison.Ordinal))
        {
            return "the scheme must be lowercase";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "must not contain user info ('user@')";
        }

        if (!string.IsNullOrEmpty(uri.Fragment))
        {
            return "must not contain a fragment";
        }

        var host = uri.Host;
        if (host.Length > 0)
        {
            if (!host.All(char.IsAscii) || uri.IdnHost != host)
            {
                return "the host must be ASCII (write internationalised names in punycode)";
            }

            if (host.EndsWith('.'))
            {
                return "the host must not end with a dot";
            }

            if (!destination.Contains("//" + host, StringComparison.Ordinal))
            {
                return uri.HostNameType == UriHostNameType.IPv4
                    ? "an IPv4 host must be written in dotted-decimal form"
                    : "the host must be lowercase";
            }
        }

        return null;
    }

    private static bool Text(string? value, string field, bool required, int maxLength, Action<string, string> fail)
    {
        if (value is null)
        {
            if (required)
            {
                fail(field, "required");
            }

            return false;
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            fail(field, "must not be empty");
            return false;
        }

        if (value.Length > maxLength)
        {
            fail(field, $"at most {maxLength} characters");
            return false;
        }

        return true;
    }
}
