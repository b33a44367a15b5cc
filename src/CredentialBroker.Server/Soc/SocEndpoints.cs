using System.Globalization;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Core;
using CredentialBroker.Core.Identity;
using CredentialBroker.Server.Identity;
using CredentialBroker.Server.Problems;
using CredentialBroker.Soc;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Server.Soc;

/// <summary>The SOC's endpoints: bulk revocation by selector, quarantine, incidents and exposure reports.</summary>
internal static class SocEndpoints
{
    private const int MaxTextLength = 500;

    public static void MapSocEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/revocations", RevokeAsync).RequireAuthorization(BrokerPolicies.Soc);
        app.MapGet("/v1/revocations/{id}", GetRevocationAsync).RequireAuthorization(BrokerPolicies.Soc);
        app.MapDelete("/v1/revocations/{id}/quarantine", LiftQuarantineAsync).RequireAuthorization(BrokerPolicies.Soc);
        app.MapPost("/v1/incidents", DeclareAsync).RequireAuthorization(BrokerPolicies.Soc);
        app.MapGet("/v1/incidents", ListIncidentsAsync).RequireAuthorization(BrokerPolicies.Soc);
        app.MapGet("/v1/incidents/{id}", GetIncidentAsync).RequireAuthorization(BrokerPolicies.Soc);
        app.MapGet("/v1/incidents/{id}/report", ReportAsync).RequireAuthorization(BrokerPolicies.Soc);
        app.MapGet("/v1/reports/exposure", FleetAsync).RequireAuthorization(BrokerPolicies.Soc);
    }

    private static async Task<IResult> RevokeAsync(HttpContext http, BulkRevocationService bulk, ISocStore soc)
    {
        var (request, error) = await JsonBody.ReadAsync(http.Request, ServerJsonContext.Default.BulkRevocationRequest);
        if (error is not null)
        {
            return error;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var selector = ValidateSelector(request!.Selector, errors);
        if (!request.DryRun && (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > MaxTextLength))
        {
            errors["reason"] = [$"A reason of 1 to {MaxTextLength} characters is required: it goes on the feed, in the audit trail and in reports."];
        }

        if (request.Quarantine && selector?.Workload is null)
        {
            errors["quarantine"] = ["A quarantine needs selector.workload: it names the workloads that get no new tasks or exchanges."];
        }

        if (request.IncidentId is { Length: > 0 } incidentId && await soc.GetIncidentAsync(incidentId, http.RequestAborted) is null)
        {
            errors["incidentId"] = [$"There is no incident '{incidentId}'."];
        }

        if (errors.Count > 0)
        {
            return ProblemResults.Validation(errors);
        }

        if (request.DryRun)
        {
            return TypedResults.Ok(new DryRunResponse(true, MatchedBody.From(await bulk.DryRunAsync(selector!, http.RequestAborted))));
        }

        var revocation = await bulk.StartAsync(http.Caller(), selector!, request.Reason!, request.IncidentId, request.Quarantine, http.RequestAborted);
        return TypedResults.Accepted($"/v1/revocations/{revocation.Id}", RevocationResponse.From(revocation));
    }

    private static async Task<IResult> GetRevocationAsync(string id, HttpContext http, ISocStore soc)
    {
        var revocation = await soc.GetRevocationAsync(id, http.RequestAborted);
        return revocation is null ? ProblemResults.NotFound($"There is no bulk revocation '{id}'.") : TypedResults.Ok(RevocationResponse.From(revocation));
    }

    private static async Task<IResult> LiftQuarantineAsync(string id, HttpContext http, BulkRevocationService bulk)
    {
        var revocation = await bulk.LiftQuarantineAsync(id, http.Caller(), http.RequestAborted);
        if (revocation is null)
        {
            return ProblemResults.NotFound($"There is no bulk revocation '{id}'.");
        }

        return revocation.Quarantine
            ? TypedResults.Ok(RevocationResponse.From(revocation))
            : ProblemResults.Conflict($"Bulk revocation '{id}' quarantines nothing.");
    }

    private static async Task<IResult> DeclareAsync(HttpContext http, IncidentService incidents, IOptions<CredentialBrokerOptions> options, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
    {
        var (request, error) = await JsonBody.ReadAsync(http.Request, ServerJsonContext.Default.DeclareIncidentRequest);
        if (error is not null)
        {
            return error;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var selector = ValidateSelector(request!.Selector, errors);
        if (string.IsNullOrWhiteSpace(request.Title) || request.Title.Length > 200)
        {
            errors["title"] = ["A title of 1 to 200 characters is required."];
        }

        if (request.Severity is null || !Incident.Severities.Contains(request.Severity, StringComparer.Ordinal))
        {
            errors["severity"] = [$"severity must be one of {string.Join(", ", Incident.Severities)}."];
        }

        if (request.NotifiedAt is not { } notifiedAt)
        {
            errors["notifiedAt"] = ["notifiedAt (when the SOC learned of the incident, RFC 3339) is required: every exposure window starts there."];
        }
        else if (notifiedAt > time.GetUtcNow() + options.Value.ClockSkew)
        {
            errors["notifiedAt"] = ["notifiedAt lies in the future."];
        }

        if (errors.Count > 0)
        {
            return ProblemResults.Validation(errors);
        }

        var incident = await incidents.DeclareAsync(http.Caller(), request.Title!, request.Severity!, request.NotifiedAt!.Value, selector!, request.Revoke, http.RequestAborted);
        return TypedResults.Created($"/v1/incidents/{incident.Id}", IncidentResponse.From(incident));
    }

    private static async Task<IResult> ListIncidentsAsync(HttpContext http, IncidentService incidents) =>
        TypedResults.Ok((await incidents.ListAsync(http.RequestAborted)).Select(IncidentResponse.From).ToList());

    private static async Task<IResult> GetIncidentAsync(string id, HttpContext http, IncidentService incidents)
    {
        var incident = await incidents.GetAsync(id, http.RequestAborted);
        return incident is null ? IncidentNotFound(id) : TypedResults.Ok(IncidentResponse.From(incident));
    }

    private static async Task<IResult> ReportAsync(string id, HttpContext http, IncidentService incidents)
    {
        var format = http.Request.Query["format"].ToString();
        format = format.Length == 0 ? "json" : format;
        if (format is not ("json" or "markdown" or "html"))
        {
            return ProblemResults.BadRequest("format must be json, markdown or html.");
        }

        var report = await incidents.ReportAsync(id, http.RequestAborted);
        if (report is null)
        {
            return IncidentNotFound(id);
        }

        http.Response.Headers.CacheControl = "no-store";
        return format switch
        {
            "markdown" => TypedResults.Text(ReportRenderer.Markdown(report), "text/markdown; charset=utf-8"),
            "html" => TypedResults.Text(ReportRenderer.Html(report), "text/html; charset=utf-8"),
            _ => TypedResults.Ok(ReportResponse.From(report)),
        };
    }

    private static async Task<IResult> FleetAsync(HttpContext http, IncidentService incidents, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time)
    {
        var now = time.GetUtcNow();
        if (!TryParseInstant(http.Request.Query["from"], now - TimeSpan.FromHours(1), out var from) || !TryParseInstant(http.Request.Query["to"], now, out var to))
        {
            return ProblemResults.BadRequest("from and to must be RFC 3339 instants, e.g. 2026-11-28T10:00:00Z.");
        }

        if (from >= to)
        {
            return ProblemResults.BadRequest("from must be earlier than to.");
        }

        return TypedResults.Ok(FleetResponse.Of(await incidents.FleetAsync(from, to, http.RequestAborted)));
    }

    private static bool TryParseInstant(Microsoft.Extensions.Primitives.StringValues value, DateTimeOffset fallback, out DateTimeOffset instant)
    {
        instant = fallback;
        return value.Count switch
        {
            0 => true,
            1 => DateTimeOffset.TryParse(value[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out instant) && value[0]!.Contains('T', StringComparison.Ordinal),
            _ => false,
        };
    }

    private static RevocationSelector? ValidateSelector(SelectorBody? body, Dictionary<string, string[]> errors)
    {
        if (body is null)
        {
            errors["selector"] = ["A selector is required."];
            return null;
        }

        var selector = body.ToSelector();
        if (selector.Validate() is { } problem)
        {
            errors["selector"] = [problem];
            return null;
        }

        return selector;
    }

    private static IResult IncidentNotFound(string id) => ProblemResults.NotFound($"There is no incident '{id}'.");
}
