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

    private static async Task<IResult> RevokeAsync(HttpContext http, BulkRevocationService bulk)
    {
        var (request, error) = await JsonBody.ReadAsync(http.Request, ServerJsonContext.Default.BulkRevocationRequest);
        if (error is not null)
        {
            return error;
        }

        var selector = request!.Selector?.ToSelector();
        if (request.DryRun)
        {
            var problems = BulkRevocationService.CheckSelector(selector);
            return problems.Any
                ? ProblemResults.Validation(problems)
                : TypedResults.Ok(new DryRunResponse(true, MatchedBody.From(await bulk.DryRunAsync(selector!, http.RequestAborted))));
        }

        var started = await bulk.RequestAsync(http.Caller(), new CredentialBroker.Soc.BulkRevocationRequest(selector, request.Reason, request.IncidentId, request.Quarantine), http.RequestAborted);
        return started.Revocation is { } revocation
            ? TypedResults.Accepted($"/v1/revocations/{revocation.Id}", RevocationResponse.From(revocation))
            : ProblemResults.Validation(started.Errors);
    }

    private static async Task<IResult> GetRevocationAsync(string id, HttpContext http, BulkRevocationService bulk)
    {
        var revocation = await bulk.GetAsync(id, http.RequestAborted);
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

    private static async Task<IResult> DeclareAsync(HttpContext http, IncidentService incidents)
    {
        var (request, error) = await JsonBody.ReadAsync(http.Request, ServerJsonContext.Default.DeclareIncidentRequest);
        if (error is not null)
        {
            return error;
        }

        var declared = await incidents.DeclareAsync(http.Caller(),
            new IncidentDeclaration(request!.Title, request.Severity, request.NotifiedAt, request.Selector?.ToSelector(), request.Revoke), http.RequestAborted);
        return declared.Incident is { } incident
            ? TypedResults.Created($"/v1/incidents/{incident.Id}", IncidentResponse.From(incident))
            : ProblemResults.Validation(declared.Errors);
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

    private static IResult IncidentNotFound(string id) => ProblemResults.NotFound($"There is no incident '{id}'.");
}
