using System.Diagnostics.Metrics;
using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Core.Revocation;
using CredentialBroker.EmbeddedStore;
using CredentialBroker.Revoker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Polly.Registry;

namespace CredentialBroker.Core.Tests.Revocation;

/// <summary>The core harness plus the revoker: feed, downstream revokers, processor, sweeper, worker, retrier, metrics.</summary>
internal sealed class RevokerHarness : IDisposable
{
    public RevokerHarness(params IDownstreamRevoker[] downstream)
    {
        _downstream = downstream;
        Core = new CoreHarness();
        Store = (InMemoryCredentialStore)Core.Store;
        Feed = new InMemoryRevocationFeed(Core.Time);
        Metrics = new RevokerMetrics(MeterFactory);
        var options = Options.Create(Settings);
        _pipelines = new ServiceCollection().AddSingleton(options).AddRevokerPipelines().BuildServiceProvider();
        Processor = new RevocationProcessor(Store, Store, new RevocationFeed(Feed), [new BrokerTokenRevoker(Store, Core.Time), .. downstream], options, Metrics,
            _pipelines.GetRequiredService<ResiliencePipelineProvider<string>>(), Core.Time, ProcessorLog);
        Sweeper = new ExpirySweeper(Store, Processor, options, Metrics, Core.Time);
        Worker = new RevocationWorker(Store, Processor, options, Metrics, new FakeLogger<RevocationWorker>());
        Retrier = new IrrevocableRetrier(Store, Store, Processor, options, Core.Time);
        Reconciler = new IssueReconciler(Store, Store, Processor, Core.Signal, Core.Time, new FakeLogger<IssueReconciler>());
    }

    public CoreHarness Core { get; }

    /// <summary>A processor over another revoker store (a wrapper that fails on cue), with this harness's feed, clock and downstream revokers.</summary>
    public RevocationProcessor ProcessorOver(IRevokerStore store) =>
        new(store, Store, new RevocationFeed(Feed), [new BrokerTokenRevoker(Store, Core.Time), .. _downstream], Options.Create(Settings), Metrics,
            _pipelines.GetRequiredService<ResiliencePipelineProvider<string>>(), Core.Time, new FakeLogger<RevocationProcessor>());

    /// <summary>A sweeper over another revoker store.</summary>
    public ExpirySweeper SweeperOver(IRevokerStore store) => new(store, ProcessorOver(store), Options.Create(Settings), Metrics, Core.Time);

    /// <summary>A worker over another revoker store.</summary>
    public RevocationWorker WorkerOver(IRevokerStore store) => new(store, ProcessorOver(store), Options.Create(Settings), Metrics, new FakeLogger<RevocationWorker>());

    public InMemoryCredentialStore Store { get; }

    public InMemoryRevocationFeed Feed { get; }

    public RevokerOptions Settings { get; } = new() { DownstreamRetryDelay = TimeSpan.FromMilliseconds(1), DownstreamAttempts = 4 };

    public TestMeterFactory MeterFactory { get; } = new();

    public RevokerMetrics Metrics { get; }

    public FakeLogger<RevocationProcessor> ProcessorLog { get; } = new();

    public RevocationProcessor Processor { get; }

    public ExpirySweeper Sweeper { get; }

    public RevocationWorker Worker { get; }

    public IrrevocableRetrier Retrier { get; }

    public IssueReconciler Reconciler { get; }

    private readonly ServiceProvider _pipelines;
    private readonly IDownstreamRevoker[] _downstream;

    public void Dispose()
    {
        MeterFactory.Dispose();
        _pipelines.Dispose();
    }

    public sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, this);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
