using CredentialBroker.Abstractions.Policy;
using Microsoft.Extensions.Logging.Abstractions;

namespace CredentialBroker.Policy.Tests;

/// <summary>Hot reload: atomic swaps, broken changes rejected with the previous policy kept in force.</summary>
public sealed class ReloadingPolicySourceTests : IDisposable
{
    private const string AllowReads = "rules: [{id: reads, effect: allow, condition: \"request.actions.all(a, a == 'read')\"}]";
    private const string AllowAll = "rules: [{id: everything, effect: allow, condition: 'true'}]";
    private readonly string _directory = Directory.CreateTempSubdirectory("cb-policy-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PolicyFile => Path.Combine(_directory, "policy.yaml");

    private ReloadingPolicySource Create(string yaml)
    {
        File.WriteAllText(PolicyFile, yaml);
        return new ReloadingPolicySource(_directory, TimeProvider.System, NullLogger<ReloadingPolicySource>.Instance);
    }

    [Test]
    public void A_valid_change_takes_effect_on_reload()
    {
        using var source = Create(AllowReads);
        var before = source.Current;
        File.WriteAllText(PolicyFile, AllowAll);

        var errors = source.Reload();

        Assert.Multiple(() =>
        {
            Assert.That(errors, Is.Empty);
            Assert.That(source.Current.Version, Is.Not.EqualTo(before.Version));
            Assert.That(source.Current.Evaluate(Inputs.Exchange(actions: ["write"])).Allowed, Is.True);
            Assert.That(before.Evaluate(Inputs.Exchange(actions: ["write"])).Allowed, Is.False, "a snapshot never changes");
        });
    }

    [Test]
    public void A_broken_change_is_rejected_and_the_previous_policy_stays_in_force()
    {
        using var source = Create(AllowReads);
        var before = source.Current.Version;
        File.WriteAllText(PolicyFile, "rules: [{id: broken, effect: allow, condition: 'request.tool =='}]");

        var errors = source.Reload();

        Assert.Multiple(() =>
        {
            Assert.That(errors.Single().ToString(), Does.Contain("rule broken: the condition does not compile"));
            Assert.That(source.LastErrors, Is.EqualTo(errors));
            Assert.That(source.Current.Version, Is.EqualTo(before));
            Assert.That(source.Current.Evaluate(Inputs.Exchange(actions: ["read"])).Allowed, Is.True);
        });
    }

    [Test]
    public void The_initial_policy_must_be_valid() =>
        Assert.That(() => Create("rules: [{id: x}]"), Throws.TypeOf<PolicyLoadException>());

    [Test]
    public async Task Writing_the_file_reloads_it_without_being_asked()
    {
        using var source = Create(AllowReads);
        var reloaded = new TaskCompletionSource<PolicyReloadedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        source.Reloaded += (_, e) =>
        {
            if (e.Errors.Count == 0 && e.Version != Inputs.Compile(AllowReads).Version)
            {
                reloaded.TrySetResult(e);
            }
        };

        await File.WriteAllTextAsync(PolicyFile, AllowAll);
        var result = await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Multiple(() =>
        {
            Assert.That(result.Version, Is.EqualTo(source.Current.Version));
            Assert.That(source.Current.Evaluate(Inputs.Exchange(actions: ["write"])).Allowed, Is.True);
        });
    }

    [Test]
    public async Task Decisions_under_concurrent_reloads_always_come_from_one_whole_version()
    {
        using var source = Create(AllowReads);
        var versions = new[] { source.Current.Version, Inputs.Compile(AllowAll).Version };
        using var stop = new CancellationTokenSource();

        var deciders = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            var decisions = new List<PolicyDecision>();
            while (!stop.IsCancellationRequested)
            {
                var policy = source.Current;
                decisions.Add(policy.Evaluate(Inputs.Exchange(actions: ["write"])));
            }

            return decisions;
        })).ToList();

        for (var i = 0; i < 50; i++)
        {
            await File.WriteAllTextAsync(PolicyFile, i % 2 == 0 ? AllowAll : AllowReads);
            source.Reload();
        }

        await stop.CancelAsync();
        var all = (await Task.WhenAll(deciders)).SelectMany(d => d).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(all, Is.Not.Empty);
            Assert.That(all.Select(d => d.PolicyVersion).Distinct(), Is.SubsetOf(versions));
            // Under AllowReads a write is denied by default-deny; under AllowAll it is allowed by 'everything'.
            Assert.That(all.All(d => d.Allowed ? d.RuleId == "everything" && d.PolicyVersion == versions[1] : d.RuleId == CompiledPolicy.DefaultDenyRule && d.PolicyVersion == versions[0]), Is.True);
        });
    }
}
