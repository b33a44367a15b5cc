namespace CredentialBroker.Client.Soc;

/// <summary>An incident's exposure-window report, as the broker rendered it.</summary>
public sealed class IncidentReport
{
    internal IncidentReport(ReportFormat format, string contentType, string content)
    {
        Format = format;
        ContentType = contentType;
        Content = content;
    }

    /// <summary>The format.</summary>
    public ReportFormat Format { get; }

    /// <summary>The media type the broker answered.</summary>
    public string ContentType { get; }

    /// <summary>The document.</summary>
    public string Content { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Format} report, {Content.Length} characters";
}
