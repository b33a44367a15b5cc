using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Core;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Risk;
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
        risk.MapGet("/", async (RiskLevelService levels, CancellationToken cancellationToken) =>
            TypedResults.Ok((await levels.ListAsync(cancellationToken)).Select(RiskResponse.From).ToList())).RequireAuthorization(BrokerPolicies.Soc);
        risk.MapPut("/workloads/{**spiffeId}", (string spiffeId, HttpContext http, RiskLevelService levels) =>
            SetAsync(RiskSubjectKind.Workload, "spiffe://" + spiffeId, http, levels)).RequireAuthorization(BrokerPolicies.Soc);
        risk.MapPut("/workflows/{workflowId}", (string workflowId, HttpContext http, RiskLevelService levels) =>
            SetAsync(RiskSubjectKind.Workflow, workflowId, http, levels)).RequireAuthorization(BrokerPolicies.Soc);
    }

    private static async Task<IResult> SetAsync(RiskSubjectKind kind, string id, HttpContext http, RiskLevelService levels)
    {
        var (request, error) = await JsonBody.ReadAsync(http.Request, ServerJsonContext.Default.SetRiskRequest);
        if (error is not null)
        {
            return error;
        }

        var change = await levels.SetAsync(http.Caller(), kind, id, request!.Level, request.Reason, http.RequestAborted);
        return change.Entry is { } entry ? TypedResults.Ok(RiskResponse.From(entry)) : ProblemResults.Validation(change.Errors);
    }
}
