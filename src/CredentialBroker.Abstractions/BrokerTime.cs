namespace CredentialBroker.Abstractions;

/// <summary>
/// The clock the broker decides with — issuance, expiry, revocation times, sweeps — registered as a keyed
/// <see cref="TimeProvider"/>. It is separate from the container's shared <see cref="TimeProvider"/>, which
/// infrastructure (the Quartz scheduler, ASP.NET Core) runs on: tests can freeze and advance the broker's time
/// with a FakeTimeProvider while schedules keep running on the wall clock. In production both are the system clock.
/// </summary>
public static class BrokerTime
{
    /// <summary>The service key of the broker's <see cref="TimeProvider"/>.</summary>
    public const string ServiceKey = "CredentialBroker.Time";
}
