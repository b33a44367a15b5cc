using CredentialBroker.Abstractions;
using CredentialBroker.Core;
using CredentialBroker.Core.Tokens;

namespace CredentialBroker.Server.Revocation;

/// <summary>
/// Logs the signing-key schedule as it unfolds: a key published ahead of signing, a key taking over, a key
/// retired once every token it signed has expired. The schedule itself follows from the keys' NotBefore times;
/// this only remembers what it last reported.
/// </summary>
internal sealed partial class KeyScheduleReporter(SigningKeyRing keys, [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time, ILogger<KeyScheduleReporter> logger)
{
    private readonly Lock _gate = new();
    private string? _active;
    private HashSet<string> _published = new(StringComparer.Ordinal);

    public void Report()
    {
        var now = time.GetUtcNow();
        var active = keys.ActiveAt(now).KeyId;
        var published = keys.PublishedAt(now).Select(k => k.Kid).ToHashSet(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var kid in published.Except(_published))
            {
                LogPublished(logger, kid);
            }

            if (_active != active)
            {
                LogActivated(logger, active);
            }

            foreach (var kid in _published.Except(published))
            {
                LogRetired(logger, kid);
            }

            (_active, _published) = (active, published);
        }
    }

    [LoggerMessage(EventId = 1920, EventName = "SigningKeyPublished", Level = LogLevel.Information, Message = "Signing key {Kid} is published in the JWKS")]
    private static partial void LogPublished(ILogger logger, string kid);

    [LoggerMessage(EventId = 1921, EventName = "SigningKeyActivated", Level = LogLevel.Information, Message = "Signing key {Kid} now signs new tokens")]
    private static partial void LogActivated(ILogger logger, string kid);

    [LoggerMessage(EventId = 1922, EventName = "SigningKeyRetired", Level = LogLevel.Information, Message = "Signing key {Kid} is retired: every token it signed has expired")]
    private static partial void LogRetired(ILogger logger, string kid);
}
