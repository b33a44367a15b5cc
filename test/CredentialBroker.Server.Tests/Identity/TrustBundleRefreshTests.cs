using System.Net;
using System.Text.Json.Nodes;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tokens;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Identity;

/// <summary>
/// Trust bundles are read again while the broker runs (<c>TrustBundleRefreshInterval</c>, 30 s by default, on the broker's
/// clock here): a key removed from a bundle file authenticates no one from the next refresh on, without a restart, while
/// the bundle's other keys go on working; a file that cannot be used leaves the last good bundle in force.
/// </summary>
public sealed class TrustBundleRefreshTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Test]
    public async Task A_key_removed_from_the_bundle_file_authenticates_no_one_after_the_next_refresh_and_the_remaining_key_still_does()
    {
        await using var app = BrokerApp.Redis();
        var second = new JwtSvidMinter("test.example", SigningKey.Generate("second-signer"));
        await File.WriteAllTextAsync(app.Trust.BundlePath, Bundle(app.Trust.Minter, second));
        using var withSecondKey = app.WithBearer(second.Mint(BrokerApp.Orchestrator, app.Issuer, app.Time.GetUtcNow(), TimeSpan.FromHours(1)));
        using var withFirstKey = app.As(BrokerApp.Orchestrator);

        var beforeRemoval = (await withSecondKey.CreateTaskAsync(Api.TaskBody(app.AgentId))).StatusCode;
        await File.WriteAllTextAsync(app.Trust.BundlePath, Bundle(app.Trust.Minter));
        var beforeRefresh = (await withSecondKey.CreateTaskAsync(Api.TaskBody(app.AgentId))).StatusCode;
        app.Time.Advance(TimeSpan.FromSeconds(30));
        await Poll.UntilAsync(() => Task.FromResult(app.Logs.GetSnapshot().Any(r => r.Id.Id == 1610)), Patience, "the broker reloads the changed bundle (event 1610)");
        var afterRefresh = (await withSecondKey.CreateTaskAsync(Api.TaskBody(app.AgentId))).StatusCode;
        var remainingKey = (await withFirstKey.CreateTaskAsync(Api.TaskBody(app.AgentId))).StatusCode;

        Assert.Multiple(() =>
        {
            Assert.That(beforeRemoval, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(beforeRefresh, Is.EqualTo(HttpStatusCode.Created), "in force until the next refresh");
            Assert.That(afterRefresh, Is.EqualTo(HttpStatusCode.Unauthorized), "the removed key authenticates no one, though its SVID was verified before");
            Assert.That(remainingKey, Is.EqualTo(HttpStatusCode.Created));
        });
    }

    [Test]
    public async Task A_bundle_file_that_cannot_be_used_leaves_the_last_good_bundle_in_force_and_says_so()
    {
        await using var app = BrokerApp.Redis();
        using var orchestrator = app.As(BrokerApp.Orchestrator);

        var before = (await orchestrator.CreateTaskAsync(Api.TaskBody(app.AgentId))).StatusCode;
        await File.WriteAllTextAsync(app.Trust.BundlePath, "{\"keys\": [");
        app.Time.Advance(TimeSpan.FromSeconds(30));
        await Poll.UntilAsync(() => Task.FromResult(app.Logs.GetSnapshot().Any(r => r.Id.Id == 1611)), Patience, "the broker refuses the broken bundle (event 1611)");
        var after = (await orchestrator.CreateTaskAsync(Api.TaskBody(app.AgentId))).StatusCode;

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(after, Is.EqualTo(HttpStatusCode.Created), "the last good bundle stays in force");
            Assert.That(app.Logs.GetSnapshot().Where(r => r.Id.Id == 1610), Is.Empty, "nothing was reloaded");
        });
    }

    private static string Bundle(params JwtSvidMinter[] signers) =>
        new JsonObject { ["keys"] = new JsonArray([.. signers.SelectMany(s => JsonNode.Parse(s.BundleJson)!["keys"]!.AsArray()).Select(k => k!.DeepClone())]) }.ToJsonString();
}
