using System.Globalization;
using System.Net;
using System.Text;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Soc;

namespace CredentialBroker.Server.Soc;

/// <summary>
/// Renders the exposure-window report as Markdown and as one self-contained HTML file (inline CSS and an inline SVG
/// chart of the share of credentials still valid over time since notification, on a log time axis), readable on
/// screen and printed. Both carry the numbers of the JSON report; the HTML names each credential's accountability trace
/// (<c>brokerctl audit trace JTI</c>: the trace endpoint needs a soc or operator SVID, which a link in a browser lacks).
/// </summary>
internal static class ReportRenderer
{
    /// <summary>The most credential rows the Markdown and HTML reports list; the JSON report lists every one.</summary>
    public const int MaxRows = 1000;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Markdown(ExposureReport report)
    {
        var s = report.Summary;
        var md = new StringBuilder();
        md.Append(Invariant, $"# Exposure-window report: {M(report.Incident.Title)}\n\n");
        md.Append(Invariant, $"Incident {M(report.Incident.Id)} ({M(report.Incident.Severity)}), notified {Time(report.Incident.NotifiedAt)}, declared {Time(report.Incident.DeclaredAt)} by {M(report.Incident.DeclaredBy)}. ");
        md.Append(Invariant, $"Revocation: {(report.Incident.RevocationId is { } r ? M(r) : "none")}. Generated {Time(report.GeneratedAt)}.\n\n");
        md.Append("Exposure window = min(verified dead, natural expiry) − notified.");
        md.Append(Invariant, $" Tokens that name a Token Status List count {report.StatusListLagSeconds:0.#} s more after verified dead: the longest a resource server reading status lists can lag.\n\n");
        md.Append("## Summary\n\n| measure | value |\n|---|---|\n");
        md.Append(Invariant, $"| credentials | {s.Credentials:N0} |\n");
        md.Append(Invariant, $"| exposure p50 / p95 / p99 / max | {Duration(s.ExposureSeconds.P50)} / {Duration(s.ExposureSeconds.P95)} / {Duration(s.ExposureSeconds.P99)} / {Duration(s.ExposureSeconds.Max)} |\n");
        md.Append(Invariant, $"| still valid 1 min after notification | {Share(s.StillValidAfterMinute)} |\n");
        md.Append(Invariant, $"| still valid 1 h after notification | {Share(s.StillValidAfterHour)} |\n");
        md.Append(Invariant, $"| still valid 5 days after notification | {Share(s.StillValidAfterFiveDays)} |\n");
        md.Append(Invariant, $"| baseline: {ExposureReport.BaselineSource}, still valid 5 days after notification | {Share(ExposureReport.BaselineStillValidAfterFiveDays)} |\n\n");
        Groups(md, "By resource", "resource", report.ByResource);
        Groups(md, "By workload", "workload", report.ByWorkload);
        md.Append(Invariant, $"## Irrevocable ({report.Irrevocable.Count})\n\n");
        md.Append(report.Irrevocable.Count == 0 ? "None.\n\n" : string.Concat(report.Irrevocable.Select(j => $"- {M(j)}\n")) + "\n");
        md.Append(Invariant, $"## Unverified ({report.Unverified.Count})\n\n");
        md.Append(report.Unverified.Count == 0 ? "None.\n\n" : string.Concat(report.Unverified.Select(j => $"- {M(j)}\n")) + "\n");
        md.Append("## Credentials\n\n| jti | kind | workload | resource | issued | revoked at broker | downstream revoked | verified dead | expires | exposure | status |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var t in report.Credentials.Take(MaxRows))
        {
            md.Append(Invariant, $"| {M(t.Jti)} | {M(t.Kind)} | {M(t.Workload)} | {(t.Resource is { } resource ? M(resource) : "—")} | {Time(t.IssuedAt)} | {Time(t.BrokerRevokedAt)} | {Time(t.DownstreamRevokedAt)} | {Time(t.VerifiedAt)} | {Time(t.ExpiresAt)} | {Duration(t.ExposureSeconds)} | {M(t.Status)} |\n");
        }

        if (report.Credentials.Count > MaxRows)
        {
            md.Append(Invariant, $"\n{report.Credentials.Count - MaxRows:N0} more credentials (longest windows first above); the JSON report lists every one.\n");
        }

        return md.ToString();
    }

    public static string Html(ExposureReport report)
    {
        var s = report.Summary;
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        h.Append(Invariant, $"<title>Exposure window: {E(report.Incident.Title)}</title>");
        h.Append("""
            <style>
            body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1f24;margin:2rem auto;max-width:1100px;padding:0 1rem}
            h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
            .meta{color:#57606a}.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}
            .card{border:1px solid #d0d7de;border-radius:8px;padding:.6rem .9rem;min-width:9.5rem}
            .card b{display:block;font-size:1.35rem}.card.base{background:#fff8c5}
            table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #eaeef2;padding:.3rem .45rem;text-align:left;vertical-align:top}
            th{background:#f6f8fa}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:12px}
            svg text{font:12px system-ui,sans-serif;fill:#1b1f24}
            @media print{body{margin:0;max-width:none;font-size:11px}.card{break-inside:avoid}h2{break-after:avoid}svg{max-width:100%}}
            </style></head><body>
            """);
        h.Append(Invariant, $"<h1>Exposure-window report: {E(report.Incident.Title)}</h1>");
        h.Append(Invariant, $"<p class=\"meta\">Incident <code>{E(report.Incident.Id)}</code> ({E(report.Incident.Severity)}) · notified {E(Time(report.Incident.NotifiedAt))} · declared {E(Time(report.Incident.DeclaredAt))} by <code>{E(report.Incident.DeclaredBy)}</code> · revocation {(report.Incident.RevocationId is { } r ? $"<code>{E(r)}</code>" : "none")} · generated {E(Time(report.GeneratedAt))}</p>");
        h.Append("<p>Exposure window = min(verified dead, natural expiry) − notified: how long each credential stayed usable after the SOC knew.");
        h.Append(Invariant, $" Tokens that name a Token Status List count {report.StatusListLagSeconds:0.#} s more after verified dead: the longest a resource server reading status lists can lag.</p>");
        h.Append("<div class=\"cards\" id=\"summary\">");
        Card(h, "credentials", s.Credentials.ToString("N0", Invariant), "credentials");
        Card(h, "p50 exposure", Duration(s.ExposureSeconds.P50), "p50");
        Card(h, "p99 exposure", Duration(s.ExposureSeconds.P99), "p99");
        Card(h, "max exposure", Duration(s.ExposureSeconds.Max), "max");
        Card(h, "still valid +1 min", Share(s.StillValidAfterMinute), "valid-1m");
        Card(h, "still valid +1 h", Share(s.StillValidAfterHour), "valid-1h");
        Card(h, "still valid +5 days", Share(s.StillValidAfterFiveDays), "valid-5d");
        h.Append(Invariant, $"<div class=\"card base\" data-measure=\"baseline\">baseline: still valid +5 days<b>{Share(ExposureReport.BaselineStillValidAfterFiveDays)}</b>{E(ExposureReport.BaselineSource)}</div></div>");
        h.Append("<h2>Share of credentials still valid after notification</h2>");
        Chart(h, report);
        HtmlGroups(h, "By resource", "resource", report.ByResource);
        HtmlGroups(h, "By workload", "workload", report.ByWorkload);
        HtmlList(h, "Irrevocable", report.Irrevocable);
        HtmlList(h, "Unverified", report.Unverified);
        h.Append("<h2>Credentials</h2><p>Who is accountable for a credential — its task, origin, workflow, approval, every delegate and the decisions on the way: run the command in its <i>trace</i> column (or <code>GET /v1/audit/trace?jti=…</code> with the soc or operator role).</p>");
        h.Append("<table><thead><tr><th>jti</th><th>kind</th><th>workload</th><th>resource</th><th>issued</th><th>revoked at broker</th><th>downstream revoked</th><th>verified dead</th><th>expires</th><th class=\"n\">exposure</th><th>status</th><th>trace</th></tr></thead><tbody>");
        foreach (var t in report.Credentials.Take(MaxRows))
        {
            h.Append(Invariant, $"<tr><td><code>{E(t.Jti)}</code></td><td>{E(t.Kind)}</td><td><code>{E(t.Workload)}</code></td><td>{E(t.Resource ?? "—")}</td><td>{E(Time(t.IssuedAt))}</td><td>{E(Time(t.BrokerRevokedAt))}</td><td>{E(Time(t.DownstreamRevokedAt))}</td><td>{E(Time(t.VerifiedAt))}</td><td>{E(Time(t.ExpiresAt))}</td><td class=\"n\">{E(Duration(t.ExposureSeconds))}</td><td>{E(t.Status)}</td>");
            h.Append(Invariant, $"<td><code class=\"trace\" title=\"{E("GET /v1/audit/trace?jti=" + Uri.EscapeDataString(t.Jti))}\">brokerctl audit trace {E(t.Jti)}</code></td></tr>");
        }

        h.Append("</tbody></table>");
        if (report.Credentials.Count > MaxRows)
        {
            h.Append(Invariant, $"<p>{report.Credentials.Count - MaxRows:N0} more credentials (longest windows first above); the JSON report lists every one.</p>");
        }

        h.Append("</body></html>\n");
        return h.ToString();
    }

    /// <summary>A step chart: x is seconds since notification on a log axis (0.1 s to 5 days), y the share still valid.</summary>
    private static void Chart(StringBuilder h, ExposureReport report)
    {
        const double width = 760, height = 320, left = 56, right = 20, top = 16, bottom = 44;
        var minLog = Math.Log10(0.1);
        var maxLog = Math.Log10(ExposureReport.Horizon.TotalSeconds);
        double X(double seconds) => left + ((Math.Log10(Math.Max(seconds, 0.1)) - minLog) / (maxLog - minLog) * (width - left - right));
        double Y(double share) => top + ((1 - share) * (height - top - bottom));

        h.Append(Invariant, $"<svg id=\"still-valid-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"Share of credentials still valid over time since notification\">");
        foreach (var share in new[] { 0.0, 0.25, 0.5, 0.75, 1.0 })
        {
            h.Append(Invariant, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{Y(share):0.#}\" y2=\"{Y(share):0.#}\" stroke=\"#eaeef2\"/><text x=\"{left - 8}\" y=\"{Y(share) + 4:0.#}\" text-anchor=\"end\">{share:P0}</text>");
        }

        foreach (var (seconds, label) in new[] { (1.0, "1 s"), (10.0, "10 s"), (60.0, "1 min"), (600.0, "10 min"), (3600.0, "1 h"), (86400.0, "1 day"), (432000.0, "5 days") })
        {
            h.Append(Invariant, $"<line x1=\"{X(seconds):0.#}\" x2=\"{X(seconds):0.#}\" y1=\"{top}\" y2=\"{height - bottom}\" stroke=\"#eaeef2\"/><text x=\"{X(seconds):0.#}\" y=\"{height - bottom + 16}\" text-anchor=\"middle\">{label}</text>");
        }

        h.Append(Invariant, $"<text x=\"{(left + width - right) / 2}\" y=\"{height - 6}\" text-anchor=\"middle\">time since notification (log scale)</text>");
        h.Append(Invariant, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{Y(ExposureReport.BaselineStillValidAfterFiveDays):0.#}\" y2=\"{Y(ExposureReport.BaselineStillValidAfterFiveDays):0.#}\" stroke=\"#bf8700\" stroke-dasharray=\"6 4\"/>");
        h.Append(Invariant, $"<text x=\"{width - right}\" y=\"{Y(ExposureReport.BaselineStillValidAfterFiveDays) - 6:0.#}\" text-anchor=\"end\" style=\"fill:#9a6700\">GitGuardian 2024: {ExposureReport.BaselineStillValidAfterFiveDays:P1} still valid after 5 days</text>");
        if (report.Curve.Count > 0)
        {
            var path = new StringBuilder();
            path.Append(Invariant, $"M{X(report.Curve[0].Seconds):0.##},{Y(1):0.##}");
            foreach (var point in report.Curve)
            {
                path.Append(Invariant, $" H{X(point.Seconds):0.##} V{Y(point.Share):0.##}");
            }

            h.Append(Invariant, $"<path id=\"still-valid-curve\" d=\"{path}\" fill=\"none\" stroke=\"#0969da\" stroke-width=\"2.5\"/>");
        }
        else
        {
            h.Append(Invariant, $"<text x=\"{(left + width - right) / 2}\" y=\"{height / 2}\" text-anchor=\"middle\">no affected credentials</text>");
        }

        h.Append("</svg>");
    }

    private static void Card(StringBuilder h, string label, string value, string id) =>
        h.Append(Invariant, $"<div class=\"card\" data-measure=\"{id}\">{E(label)}<b>{E(value)}</b></div>");

    private static void Groups(StringBuilder md, string title, string column, IReadOnlyList<ExposureGroup> groups)
    {
        md.Append(Invariant, $"## {title}\n\n| {column} | credentials | p50 | p95 | p99 | max |\n|---|---|---|---|---|---|\n");
        foreach (var g in groups)
        {
            md.Append(Invariant, $"| {M(g.Name)} | {g.Credentials:N0} | {Duration(g.ExposureSeconds.P50)} | {Duration(g.ExposureSeconds.P95)} | {Duration(g.ExposureSeconds.P99)} | {Duration(g.ExposureSeconds.Max)} |\n");
        }

        md.Append('\n');
    }

    private static void HtmlGroups(StringBuilder h, string title, string column, IReadOnlyList<ExposureGroup> groups)
    {
        h.Append(Invariant, $"<h2>{E(title)}</h2><table><thead><tr><th>{E(column)}</th><th class=\"n\">credentials</th><th class=\"n\">p50</th><th class=\"n\">p95</th><th class=\"n\">p99</th><th class=\"n\">max</th></tr></thead><tbody>");
        foreach (var g in groups)
        {
            h.Append(Invariant, $"<tr><td><code>{E(g.Name)}</code></td><td class=\"n\">{g.Credentials:N0}</td><td class=\"n\">{E(Duration(g.ExposureSeconds.P50))}</td><td class=\"n\">{E(Duration(g.ExposureSeconds.P95))}</td><td class=\"n\">{E(Duration(g.ExposureSeconds.P99))}</td><td class=\"n\">{E(Duration(g.ExposureSeconds.Max))}</td></tr>");
        }

        h.Append("</tbody></table>");
    }

    private static void HtmlList(StringBuilder h, string title, IReadOnlyList<string> jtis)
    {
        h.Append(Invariant, $"<h2>{E(title)} ({jtis.Count})</h2>");
        h.Append(jtis.Count == 0 ? "<p>None.</p>" : "<ul>" + string.Concat(jtis.Take(MaxRows).Select(j => $"<li><code>{E(j)}</code></li>")) + "</ul>");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    /// <summary>
    /// Text a caller wrote (a title, a resource, an id), made inert in Markdown: every character that can open markup
    /// mid-line is backslash-escaped (CommonMark renders each literally: no emphasis, link, image, code span, raw HTML,
    /// entity, strikethrough or table cell break), and control characters — CR, LF, terminal escapes — become U+FFFD,
    /// so nothing can start a line of its own. Other text stays as written.
    /// </summary>
    private const string MarkdownSpecial = "\\`*_[]<>|#~&!";

    internal static string M(string text)
    {
        var escaped = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                escaped.Append('\uFFFD');
            }
            else
            {
                if (MarkdownSpecial.Contains(c))
                {
                    escaped.Append('\\');
                }

                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

    private static string Share(double share) => share.ToString("P1", Invariant);

    private static string Time(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", Invariant) : "—";

    /// <summary>A window in the unit a reader wants: milliseconds to days.</summary>
    internal static string Duration(double seconds) => seconds switch
    {
        < 1 => string.Create(Invariant, $"{seconds * 1000:0} ms"),
        < 60 => string.Create(Invariant, $"{seconds:0.##} s"),
        < 3600 => string.Create(Invariant, $"{seconds / 60:0.#} min"),
        < 86400 => string.Create(Invariant, $"{seconds / 3600:0.#} h"),
        _ => string.Create(Invariant, $"{seconds / 86400:0.#} days"),
    };
}
