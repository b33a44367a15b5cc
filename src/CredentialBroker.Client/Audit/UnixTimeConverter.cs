using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CredentialBroker.Client.Audit;

/// <summary>
/// A time in an audit document: NumericDate (seconds since the epoch, as the trace's credential and task times are) or an
/// RFC 3339 string (as event times are). Either is read, so the client keeps working whichever form a broker writes.
/// </summary>
internal sealed class UnixTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.Number => DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(reader.GetDouble() * 1000)),
        JsonTokenType.String when DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) => time,
        _ => throw new JsonException("A time must be a NumericDate or an RFC 3339 string."),
    };

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteNumberValue(value.ToUnixTimeSeconds());

    /// <summary>The time in <paramref name="element"/> (number or string), or <see langword="null"/>.</summary>
    public static DateTimeOffset? From(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Number when element.TryGetDouble(out var seconds) => DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000)),
        JsonValueKind.String when DateTimeOffset.TryParse(element.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) => time,
        _ => null,
    };
}
