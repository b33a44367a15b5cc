namespace CredentialBroker.Abstractions;

/// <summary>Clock readings at the precision the stores keep, so both stores return exactly what was written.</summary>
public static class TimeProviderExtensions
{
    /// <summary>The current time, truncated to whole seconds (JWT NumericDate precision).</summary>
    public static DateTimeOffset GetUtcNowSeconds(this TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds());
    }

    /// <summary>The current time, truncated to whole milliseconds (store precision for events).</summary>
    public static DateTimeOffset GetUtcNowMilliseconds(this TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());
    }
}
