using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Server.Soc;
using CredentialBroker.Soc;

namespace CredentialBroker.Server.Tests.Soc;

/// <summary>What callers wrote (titles, resources, ids) lands in the Markdown report as inert text.</summary>
public sealed class ReportRendererTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

    private static string Render(string title, string resource)
    {
        var incident = new Incident("inc_1", title, "high", T, T.AddMinutes(1), "spiffe://corp.example/soc", new RevocationSelector(WorkflowId: "wf"), []);
        CredentialRecord[] credentials =
        [
            new("j1", "tsk_1", CredentialKind.AccessToken, "t1", "spiffe://corp.example/agents/bot", T.AddMinutes(-1), T.AddMinutes(4), Audience: resource),
            new("j2", "tsk_1", CredentialKind.AccessToken, "t1", "spiffe://corp.example/agents/bot", T.AddMinutes(-1), T.AddMinutes(4), Audience: "postgres://payments"),
        ];
        return ReportRenderer.Markdown(ExposureReport.Build(incident, credentials.Select(c => (c, (DateTimeOffset?)null)), T.AddMinutes(10), TimeSpan.FromMinutes(1)));
    }

    private static readonly string Hostile =
        "Breach | `code` *bold* [link](https://evil.example) <script>alert(1)</script>\r\n# Injected heading\n| fake | row |\u001b[31mred\u001b[0m";

    [Test]
    public void Caller_text_cannot_add_lines_cells_html_or_terminal_escapes_and_plain_text_reads_as_written()
    {
        var hostile = Render(Hostile, "https://ledger.example/a|b`c");
        var plain = Render("Agent w1 crossed a boundary", "https://ledger.example/a");
        var hostileLines = hostile.Split('\n');

        Assert.Multiple(() =>
        {
            Assert.That(hostileLines.Length, Is.EqualTo(plain.Split('\n').Length), "no line was added");
            Assert.That(hostileLines.Count(l => l.StartsWith('#')), Is.EqualTo(plain.Split('\n').Count(l => l.StartsWith('#'))), "no heading was added");
            Assert.That(hostile, Does.Not.Contain("<script>").And.Not.Contain("\u001b").And.Not.Contain("\r"));
            Assert.That(hostile, Does.Contain("\\<script\\>"));
            Assert.That(hostileLines.Single(l => l.StartsWith("| j1 ", StringComparison.Ordinal)).Split(" | ").Length,
                Is.EqualTo(hostileLines.Single(l => l.StartsWith("| j2 ", StringComparison.Ordinal)).Split(" | ").Length),
                "a '|' in a resource does not add a table cell");
            Assert.That(hostileLines.Single(l => l.StartsWith("| j1 ", StringComparison.Ordinal)), Does.Contain("a\\|b\\`c"));
            Assert.That(plain, Does.Contain("# Exposure-window report: Agent w1 crossed a boundary"));
        });
    }
}
