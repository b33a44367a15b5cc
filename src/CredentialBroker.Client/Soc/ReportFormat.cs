namespace CredentialBroker.Client.Soc;

/// <summary>The formats of an incident's exposure-window report.</summary>
public enum ReportFormat
{
    /// <summary>JSON, every credential listed.</summary>
    Json = 0,

    /// <summary>Markdown.</summary>
    Markdown = 1,

    /// <summary>One self-contained HTML page with an SVG chart, printable.</summary>
    Html = 2,
}
