using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Core;
using CredentialBroker.Core.Identity;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Policy;
using CredentialBroker.Server.Identity;
using CredentialBroker.Server.Problems;

namespace CredentialBroker.Server.Policy;

/// <summary>The SOC's view of policy and risk: which policy is in force, and the risk levels policies decide on.</summary>
internal static class PolicyEndpoints
{
    public static void MapPolicyEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/policy", (ReloadingPolicySource source) =>
        {
            var policy = source.CurrentPolicy;
            return TypedResults.Ok(new PolicyStatusResponse(policy.Version, policy.Source, policy.RuleIds, policy.DataClasses,
                [.. source.LastErrors.Select(e => e.ToString())]));
        }).RequireAuthorization(BrokerPolicies.Soc);

        var risk = app.MapGroup("/v1/risk");
        risk.MapGet("/", async (IRiskRegistry registry, CancellationToken cancellationToken) =>
            TypedResults.Ok((await registry.ListAsync(cancellationToken)).Select(RiskResponse.From).ToList())).RequireAuthorization(BrokerPolicies.Soc);
        risk.MapPut("/workloads/{**spiffeId}", (string spiffeId, HttpContext http, IRiskRegistry registry, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time) =>
            SetAsync(RiskSubjectKind.Workload, "spiffe://" + spiffeId, http, registry, time)).RequireAuthorization(BrokerPolicies.Soc);
        risk.MapPut("/workflows/{workflowId}", (string workflowId, HttpContext http, IRiskRegistry registry, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time) =>
            SetAsync(RiskSubjectKind.Workflow, workflowId, http, registry, time)).RequireAuthorization(BrokerPolicies.Soc);
    }

    private static async Task<IResult> SetAsync(RiskSubjectKind kind, string id, HttpContext http, IRiskRegistry registry, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
    {
        var (request, error) = await JsonBody.ReadAsync(http.Request, ServerJsonContext.Default.SetRiskRequest);
        if (error is not null)
        {
            return error;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (kind == RiskSubjectKind.Workload && !SpiffeId.TryParse(id, out _, out var idError))
        {
            errors["workload"] = [idError + " (the path is the SPIFFE ID without 'spiffe://')"];
        }

        if (kind == RiskSubjectKind.Workflow && (id.Length is 0 or > 256))
        {
            errors["workflow"] = ["between 1 and 256 characters"];
        }

        if (!RiskLevels.TryParseWireName(request!.Level, out var level))
        {
            errors["level"] = ["must be one of none, low, medium, high, critical"];
        }

        if (request.Reason is { Length: > 1024 })
        {
            errors["reason"] = ["at most 1024 characters"];
        }

        if (errors.Count > 0)
        {
            return ProblemResults.Validation(errors);
        }

        var entry = new RiskEntry(kind, id, level, request.Reason, http.Caller().Id.Value, time.GetUtcNowMilliseconds());
        await registry.SetAsync(entry, http.RequestAborted);
        return TypedResults.Ok(RiskResponse.From(entry));
    }
}
