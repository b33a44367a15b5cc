using System.Text.Encodings.Web;
using System.Text.Json;

namespace CredentialBroker.Server;

/// <summary>
/// JSON output settings. Responses are <c>application/json</c>, never HTML, so characters such as <c>+</c>
/// are written as they are (<c>task+jwt</c>, not <c>task\u002Bjwt</c>); control characters, quotes and
/// backslashes are still escaped, so CRLF or terminal escapes in stored values cannot break out.
/// </summary>
internal static class JsonWriting
{
    public static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = Encoder };
}
