using System.ComponentModel;
using ModelContextProtocol.Server;

namespace CredentialBroker.Samples.McpServer;

/// <summary>The MCP server's tools. By the time a tool runs, the broker's access token has been checked.</summary>
[McpServerToolType]
internal static class InvoiceTools
{
    private static readonly Dictionary<string, (string Customer, decimal Amount)> Invoices = new(StringComparer.Ordinal)
    {
        ["INV-1001"] = ("ACME Corp", 1250.00m),
        ["INV-1002"] = ("Globex", 310.50m),
    };

    /// <summary>The agent the token was issued to (its <c>sub</c>), from the request the tool call came in.</summary>
    [McpServerTool(Name = "lookup_invoice", ReadOnly = true), Description("Looks up an invoice by its number (INV-1001, INV-1002).")]
    public static string LookupInvoice(IHttpContextAccessor http, [Description("The invoice number, for example INV-1001.")] string invoice)
    {
        var agent = http.HttpContext?.User.FindFirst("sub")?.Value;
        return Invoices.TryGetValue(invoice, out var found)
            ? $"{invoice}: {found.Customer}, {found.Amount:F2} EUR (read for {agent})"
            : $"{invoice}: no such invoice (read for {agent})";
    }
}
