using CredentialBroker.Policy;
using CredentialBroker.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace CredentialBroker.Server.Tests.Deployment;

/// <summary>
/// A policy ConfigMap mounted as a directory is updated by kubelet's atomic writer: the files are symbolic links through
/// <c>..data</c>, itself a link to a timestamped directory, and an update renames a new <c>..data</c> over the old one.
/// The broker's watcher must see that swap and reload; a broken update must leave the previous policy in force.
/// </summary>
public sealed class PolicyConfigMapReloadTests
{
    private const string Allow = "rules:\n  - id: allow-corp\n    effect: allow\n    condition: caller.trustDomain == 'corp.example'\n";
    private const string AllowAndDeny = Allow + "  - id: deny-sandbox\n    effect: deny\n    condition: task.agent.startsWith('spiffe://corp.example/agents/sandbox/')\n";
    private const string Broken = "rules:\n  - id: broken\n    effect: allow\n    condition: caller.trustDomain ==\n";

    private DirectoryInfo _mount = null!;

    [SetUp]
    public async Task CreateMount()
    {
        _mount = Directory.CreateTempSubdirectory("cb-policy-mount-");
        await PublishAsync("..2026_11_30_09_00_00.000000001", Allow);
        File.CreateSymbolicLink(Path.Combine(_mount.FullName, "rules.yaml"), Path.Combine("..data", "rules.yaml"));
    }

    [TearDown]
    public void RemoveMount() => _mount.Delete(recursive: true);

    [Test]
    public async Task A_config_map_update_swapping_the_data_link_reloads_the_policy()
    {
        using var source = new ReloadingPolicySource(_mount.FullName, TimeProvider.System, NullLogger<ReloadingPolicySource>.Instance);
        var before = source.CurrentPolicy.Version;
        var reloaded = NextReload(source, e => e.Version != before || e.Errors.Count > 0);

        await PublishAsync("..2026_11_30_09_05_00.000000002", AllowAndDeny);

        var errors = await reloaded.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Multiple(() =>
        {
            Assert.That(errors, Is.Empty);
            Assert.That(source.CurrentPolicy.RuleIds, Is.EqualTo(new[] { "allow-corp", "deny-sandbox" }));
        });
    }

    [Test]
    public async Task A_broken_config_map_update_keeps_the_previous_policy()
    {
        using var source = new ReloadingPolicySource(_mount.FullName, TimeProvider.System, NullLogger<ReloadingPolicySource>.Instance);
        var before = source.CurrentPolicy.Version;
        var reloaded = NextReload(source, e => e.Errors.Count > 0);

        await PublishAsync("..2026_11_30_09_05_00.000000002", Broken);

        var errors = await reloaded.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Multiple(() =>
        {
            Assert.That(errors, Is.Not.Empty);
            Assert.That(source.CurrentPolicy.Version, Is.EqualTo(before));
            Assert.That(source.CurrentPolicy.RuleIds, Is.EqualTo(new[] { "allow-corp" }));
        });
    }

    // What kubelet's AtomicWriter does: write the files into a new timestamped directory, point ..data_tmp at it, and
    // rename ..data_tmp over ..data (one atomic rename(2), which `mv -T` makes; File.Move refuses a link to a directory),
    // then remove the old directory.
    private async Task PublishAsync(string version, string rules)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_mount.FullName, version));
        File.WriteAllText(Path.Combine(directory.FullName, "rules.yaml"), rules);
        var data = Path.Combine(_mount.FullName, "..data");
        var old = new FileInfo(data).LinkTarget;
        var temporary = Path.Combine(_mount.FullName, "..data_tmp");
        File.CreateSymbolicLink(temporary, version);
        var moved = await ProcessRunner.RunAsync("mv", ["-T", temporary, data]);
        Assert.That(moved.ExitCode, Is.Zero, moved.StandardError);
        if (old is not null)
        {
            Directory.Delete(Path.Combine(_mount.FullName, old), recursive: true);
        }
    }

    // The first reload attempt that satisfies `until` (a watcher may also fire for the steps before the swap).
    private static Task<IReadOnlyList<PolicyError>> NextReload(ReloadingPolicySource source, Func<PolicyReloadedEventArgs, bool> until)
    {
        var reloaded = new TaskCompletionSource<IReadOnlyList<PolicyError>>(TaskCreationOptions.RunContinuationsAsynchronously);
        source.Reloaded += (_, e) =>
        {
            if (until(e))
            {
                reloaded.TrySetResult(e.Errors);
            }
        };
        return reloaded.Task;
    }
}
