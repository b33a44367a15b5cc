namespace CredentialBroker.Server.Tests;

/// <summary>DESIGN §6: never log secrets or tokens; log jtis.</summary>
public sealed class SecretHygieneTests : IDisposable
{
    private readonly BrokerApp _app = BrokerApp.Redis();

    public void Dispose() => _app.Dispose();

    [Test]
    public async Task No_token_or_svid_reaches_the_logs_while_jtis_do()
    {
        var orchestratorSvid = _app.Svid(BrokerApp.Orchestrator);
        var orchestrator = _app.WithBearer(orchestratorSvid);
        var (taskId, token, jti) = await orchestrator.CreateTaskOkAsync(_app.AgentId);
        await orchestrator.IntrospectAsync(token);
        await _app.As(BrokerApp.OtherAgent).RevokeAsync(token);
        await _app.WithBearer(orchestratorSvid + "x").CreateTaskAsync(Api.TaskBody(_app.AgentId));
        await orchestrator.ChangeStateAsync(taskId, "completed");
        await orchestrator.IntrospectAsync(token);

        var records = _app.Logs.GetSnapshot();
        var everything = string.Join('\n', records.Select(r =>
            r.Message + " " + r.Exception + " " + string.Join(' ', r.StructuredState?.Select(kv => kv.Value) ?? [])));
        var secrets = new[] { token, orchestratorSvid }.SelectMany(t => t.Split('.')).Where(part => part.Length > 16);

        Assert.Multiple(() =>
        {
            Assert.That(records, Is.Not.Empty);
            foreach (var secret in secrets)
            {
                Assert.That(everything, Does.Not.Contain(secret));
            }

            Assert.That(everything, Does.Contain(jti), "jtis are what the logs carry");
        });
    }
}
