namespace CredentialBroker.LoadHarness;

/// <summary>Latency samples and their percentiles (nearest-rank).</summary>
internal sealed class Percentiles(IEnumerable<double> samplesMs)
{
    private readonly double[] _sorted = [.. samplesMs.Order()];

    public int Count => _sorted.Length;

    public double At(double percentile) =>
        _sorted.Length == 0 ? double.NaN : _sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * _sorted.Length) - 1, 0, _sorted.Length - 1)];

    public string Describe() => $"p50 {At(50):0.00} ms, p99 {At(99):0.00} ms, max {At(100):0.00} ms (n={Count})";
}
