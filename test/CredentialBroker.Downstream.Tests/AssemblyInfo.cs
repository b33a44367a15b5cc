// Every test gets a fresh fixture instance: its own roles, users and key prefixes, nothing shared by accident.
[assembly: FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
[assembly: Parallelizable(ParallelScope.Fixtures)]
