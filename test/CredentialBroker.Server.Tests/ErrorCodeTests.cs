using System.Net;
using System.Reflection;
using CredentialBroker.Abstractions;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests;

/// <summary>Every error carries a stable code from <see cref="ErrorCodes"/>, and docs/errors.md documents every code.</summary>
public sealed class ErrorCodeTests
{
    private static readonly string[] Codes = [.. typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!)];

    [Test]
    public void Every_code_is_documented_in_errors_md()
    {
        var documented = File.ReadAllText(Repository.Path("docs", "errors.md"));

        Assert.Multiple(() =>
        {
            Assert.That(Codes, Has.Length.GreaterThan(25));
            Assert.That(Codes.Where(c => !documented.Contains($"| `{c}` |", StringComparison.Ordinal)), Is.Empty);
            Assert.That(Codes, Is.Unique);
        });
    }

    [Test]
    public async Task OAuth_and_rest_errors_carry_their_code_beside_the_rfc_error()
    {
        await using var app = BrokerApp.Redis();
        using var agent = app.As(BrokerApp.Agent);
        using var orchestrator = app.As(BrokerApp.Orchestrator);
        var (taskId, token, _) = await orchestrator.CreateTaskOkAsync(app.AgentId);

        var missing = await (await agent.TokenAsync(("grant_type", Api.TokenExchange))).JsonAsync();
        var grant = await (await agent.TokenAsync(("grant_type", "password"))).JsonAsync();
        var notGranted = await (await agent.AccessTokenAsync(token, "https://elsewhere.example")).JsonAsync();
        var garbage = await (await agent.AccessTokenAsync("not.a.token")).JsonAsync();
        var anonymous = await (await app.CreateClient().IntrospectAsync(token)).JsonAsync();
        var unknownTask = await (await orchestrator.GetAsync("/v1/tasks/tsk_unknown")).JsonAsync();
        var illegal = await (await orchestrator.ChangeStateAsync(taskId, "paused")).JsonAsync();
        var fine = await agent.AccessTokenAsync(token);

        Assert.Multiple(async () =>
        {
            Assert.That(((string?)missing["error"], (string?)missing["code"]), Is.EqualTo(("invalid_request", ErrorCodes.ParameterMissing)));
            Assert.That(((string?)grant["error"], (string?)grant["code"]), Is.EqualTo(("unsupported_grant_type", ErrorCodes.GrantTypeUnsupported)));
            Assert.That(((string?)notGranted["error"], (string?)notGranted["code"]), Is.EqualTo(("invalid_target", ErrorCodes.TargetNotGranted)));
            Assert.That(((string?)garbage["error"], (string?)garbage["code"]), Is.EqualTo(("invalid_grant", ErrorCodes.SubjectInvalid)));
            Assert.That(((string?)anonymous["error"], (string?)anonymous["code"]), Is.EqualTo(("invalid_client", ErrorCodes.Unauthenticated)));
            Assert.That(((string?)unknownTask["type"], (string?)unknownTask["code"]), Is.EqualTo(("urn:credentialbroker:problem:not-found", ErrorCodes.NotFound)));
            Assert.That(((string?)illegal["type"], (string?)illegal["code"]), Is.EqualTo(("urn:credentialbroker:problem:conflict", ErrorCodes.Conflict)));
            Assert.That(fine.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await fine.JsonAsync())["code"], Is.Null, "a success carries no error code");
        });
    }
}
