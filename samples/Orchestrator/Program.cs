// An orchestrator, with CredentialBroker.Client, against a broker (by default a development-mode broker on
// http://127.0.0.1:8080 and its dev credentials in /tmp/credentialbroker):
//   dotnet run --project samples/Orchestrator                              create a task, see its token active, complete it, see it dead
//   dotnet run --project samples/Orchestrator -- create --task-file FILE   create a task for the agent and hand its token over in FILE
//   dotnet run --project samples/Orchestrator -- complete --task-file FILE complete that task: every credential of it is revoked
// Options: --broker URL, --credentials DIR (or BROKER, CREDENTIALS); --mcp-server URL also grants the agent the tools of
// the MCP server at URL (samples/McpServer), the resource its access tokens for that server are for. Exits non-zero when the broker does not behave so.
using System.Text.Json;
using System.Text.Json.Nodes;
using CredentialBroker.Client.Orchestrators;
using CredentialBroker.Samples;
using Microsoft.Extensions.DependencyInjection;

var settings = SampleSettings.Load("orchestrator", args);
var command = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal) && Array.IndexOf(args, a) is 0) ?? "demo";
var taskFile = settings.Configuration["task-file"];
var mcpServer = settings.Configuration["mcp-server"];
return await settings.RunAsync(async () =>
{
    if (command is not ("demo" or "create" or "complete") || (command != "demo" && taskFile is null))
    {
        return settings.Fail("usage: Orchestrator [demo | create --task-file FILE [--mcp-server URL] | complete --task-file FILE] [--broker URL] [--credentials DIR]");
    }

    await using var services = settings.Clients("orchestrator");
    if (services is null)
    {
        return 1;
    }

    var orchestrator = services.GetRequiredKeyedService<OrchestratorClient>("orchestrator");
    switch (command)
    {
        case "create":
            var created = await CreateAsync(orchestrator);
            if (created is null)
            {
                return 1;
            }

            HandOver(taskFile!, created);
            settings.Step($"handed the task token over to the agent in {taskFile}");
            return 0;
        case "complete":
            var handed = JsonNode.Parse(File.ReadAllText(taskFile!))!;
            return await CompleteAsync(orchestrator, (string)handed["taskId"]!, (string)handed["token"]!) ? 0 : 1;
        default:
            var task = await CreateAsync(orchestrator);
            if (task is null || await orchestrator.IntrospectAsync(task.Token) is not { IsSuccess: true, Value.Active: true })
            {
                return settings.Fail("the new task token is not active");
            }

            settings.Step("introspection before completion: active");
            return await CompleteAsync(orchestrator, task.TaskId, task.Token) ? 0 : 1;
    }
});

// The agent may read the payments database and the invoices API (and, with --mcp-server, call the MCP server's
// lookup_invoice tool), and delegate once, to the dev sub-agent.
async Task<IssuedTask?> CreateAsync(OrchestratorClient orchestrator)
{
    List<TaskGrant> grants =
    [
        new TaskGrant { Tool = "sql.query", Destination = "postgres://payments", Actions = ["read"], DataClass = "confidential" },
        new TaskGrant { Tool = "invoices.api", Destination = "https://invoices.dev.local", Actions = ["read"] },
    ];
    if (mcpServer is not null)
    {
        grants.Add(new TaskGrant { Tool = "mcp.lookup_invoice", Destination = mcpServer, Actions = ["read"] });
    }

    var task = settings.Expect(await orchestrator.CreateTaskAsync(new TaskRequest
    {
        Agent = "spiffe://dev.local/agent",
        Workflow = new WorkflowReference { Id = "wf-invoices", Designer = "team-payments", Version = "3" },
        Authorization = grants,
        Ttl = TimeSpan.FromMinutes(10),
        Approval = new TaskApproval { Id = "CHG-1042", Approver = "alice@corp.example", ApprovedAt = DateTimeOffset.Parse("2026-11-28T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture) },
        Origin = new TaskOrigin { PromptId = "p-77", RequestedBy = "user:bob@corp.example" },
        MaxDelegationDepth = 1,
        MayAct = ["spiffe://dev.local/sub-agent"],
    }), "create a task");
    if (task is not null)
    {
        settings.Step($"created {task.TaskId} for spiffe://dev.local/agent, task token {task.Jti}, expires {task.ExpiresAt:O}");
    }

    return task;
}

async Task<bool> CompleteAsync(OrchestratorClient orchestrator, string taskId, string token)
{
    var completed = settings.Expect(await orchestrator.ChangeStateAsync(taskId, TaskStates.Completed, "invoices sent"), "complete the task");
    if (completed is null)
    {
        return false;
    }

    settings.Step($"task {completed.State}: {completed.Revoked} credential(s) revoked");
    var after = settings.Expect(await orchestrator.IntrospectAsync(token), "introspect the task token");
    if (after is null || after.Active)
    {
        settings.Fail("the task token is still active after completion");
        return false;
    }

    settings.Step("introspection after completion: inactive");
    return true;
}

// The task token goes to the agent only: a file only this user can read.
static void HandOver(string path, IssuedTask task)
{
    var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
    if (!OperatingSystem.IsWindows())
    {
        options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    }

    using var stream = new FileStream(path, options);
    JsonSerializer.Serialize(stream, new JsonObject { ["taskId"] = task.TaskId, ["token"] = task.Token });
}
