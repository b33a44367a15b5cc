using System.Text.Json;
using System.Text.Json.Serialization;

namespace CredentialBroker.Client.Orchestrators;

/// <summary>Durations in the broker's JSON are whole seconds.</summary>
internal sealed class SecondsConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => TimeSpan.FromSeconds(reader.GetDouble());

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) => writer.WriteNumberValue((long)Math.Ceiling(value.TotalSeconds));
}
