using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tasks;
using CredentialBroker.Core.Tokens;

namespace CredentialBroker.Core.Tests.Introspection;

public sealed class IntrospectionServiceTests
{
    private readonly CoreHarness _harness = new();

    private async Task<bool> IsActiveAsync(string? token, CallerIdentity? caller = null) =>
        await _harness.Introspection.IntrospectAsync(caller ?? CoreHarness.Soc, token, CancellationToken.None) is not null;

    [Test]
    public async Task A_fresh_task_token_is_active_for_everyone_entitled_to_see_it()
    {
        var token = (await _harness.IssueAsync()).Token;

        Assert.Multiple(async () =>
        {
            Assert.That(await IsActiveAsync(token, CoreHarness.Soc), Is.True, "soc");
            Assert.That(await IsActiveAsync(token, CoreHarness.Agent), Is.True, "holder");
            Assert.That(await IsActiveAsync(token, CoreHarness.Orchestrator), Is.True, "creating orchestrator");
        });
    }

    [Test]
    public async Task Callers_not_entitled_to_a_token_learn_only_that_it_is_inactive()
    {
        var token = (await _harness.IssueAsync()).Token;

        Assert.Multiple(async () =>
        {
            Assert.That(await IsActiveAsync(token, CoreHarness.OtherAgent), Is.False);
            Assert.That(await IsActiveAsync(token, CoreHarness.OtherOrchestrator), Is.False);
            Assert.That(await IsActiveAsync(token, CoreHarness.ResourceServer), Is.False, "a resource server never learns about task tokens");
        });
    }

    [Test]
    public async Task Completing_the_task_makes_its_token_inactive_at_once()
    {
        var issued = await _harness.IssueAsync();
        var before = await IsActiveAsync(issued.Token);
        await _harness.Tasks.ChangeStateAsync(CoreHarness.Orchestrator, issued.Task!.TaskId, TaskState.Completed, null, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(before, Is.True);
            Assert.That(await IsActiveAsync(issued.Token), Is.False);
        });
    }

    [Test]
    public async Task A_token_is_inactive_once_its_ttl_passes()
    {
        var token = (await _harness.IssueAsync(CoreHarness.Draft(ttl: TimeSpan.FromMinutes(1)))).Token;
        _harness.Time.Advance(TimeSpan.FromSeconds(59));
        var justBefore = await IsActiveAsync(token);
        _harness.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Multiple(async () =>
        {
            Assert.That(justBefore, Is.True);
            Assert.That(await IsActiveAsync(token), Is.False);
        });
    }

    [TestCase("")]
    [TestCase("garbage")]
    [TestCase("a.b.c")]
    public async Task Garbage_is_inactive(string token) => Assert.That(await IsActiveAsync(token), Is.False);

    [Test]
    public async Task A_validly_signed_token_the_store_never_recorded_is_inactive()
    {
        var issued = await _harness.IssueAsync();
        var unrecorded = _harness.Tokens.SignTaskToken(issued.Task!, issued.Credential! with { Jti = "never-recorded" });

        Assert.Multiple(async () =>
        {
            Assert.That((await _harness.Validator.ValidateAsync(unrecorded, [TokenTypes.Task])).IsValid, Is.True);
            Assert.That(await IsActiveAsync(unrecorded), Is.False);
        });
    }

    [Test]
    public async Task A_token_from_another_broker_is_inactive()
    {
        var other = new CoreHarness();
        var foreign = (await other.IssueAsync()).Token;
        Assert.That(await IsActiveAsync(foreign), Is.False);
    }
}
