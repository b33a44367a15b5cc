namespace CredentialBroker.Abstractions.Soc;

/// <summary>A signed Security Event Token waiting for delivery (push) or acknowledgement (poll).</summary>
/// <param name="Jti">The SET's <c>jti</c>: what a poll receiver acknowledges.</param>
/// <param name="Set">The SET, a compact JWS.</param>
public sealed record SsfPendingEvent(string Jti, string Set);
