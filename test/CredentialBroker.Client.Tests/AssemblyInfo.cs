// Every test gets a fresh fixture instance: fresh keys, a fresh FakeTimeProvider, nothing shared by accident.
[assembly: FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
[assembly: Parallelizable(ParallelScope.Fixtures)]
