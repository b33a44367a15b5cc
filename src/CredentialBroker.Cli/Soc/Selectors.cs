using System.CommandLine;
using System.Text.Json.Nodes;
using CredentialBroker.Cli.CommandLine;

namespace CredentialBroker.Cli.Soc;

/// <summary>The selector flags of <c>revoke</c> and <c>incident declare</c>; they combine with AND.</summary>
internal sealed class Selectors
{
    private readonly Option<string> _workload = new("--workload") { Description = "A SPIFFE ID, or a path prefix ending in '/' (spiffe://corp.example/agents/)." };
    private readonly Option<string> _workflow = new("--workflow") { Description = "A workflow id." };
    private readonly Option<string> _task = new("--task") { Description = "A task id." };
    private readonly Option<string> _approval = new("--approval") { Description = "An approval id." };
    private readonly Option<string> _approver = new("--approver") { Description = "Who approved the tasks." };
    private readonly Option<string> _resource = new("--resource") { Description = "The resource (audience) of access tokens." };
    private readonly Option<string> _derivedFrom = new("--derived-from") { Description = "A jti: that credential and its whole subtree." };
    private readonly Option<DateTimeOffset?> _issuedAfter = ValueParsers.Time("--issued-after", "Issued at or after this time (ISO 8601, UTC unless it carries an offset).");
    private readonly Option<DateTimeOffset?> _issuedBefore = ValueParsers.Time("--issued-before", "Issued before this time (ISO 8601, UTC unless it carries an offset).");

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _workload, _workflow, _task, _approval, _approver, _resource, _derivedFrom, _issuedAfter, _issuedBefore })
        {
            command.Options.Add(option);
        }
    }

    public JsonObject Read(ParseResult parse)
    {
        var selector = new JsonObject();
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                selector[name] = value;
            }
        }

        Add("workload", parse.GetValue(_workload));
        Add("workflowId", parse.GetValue(_workflow));
        Add("taskId", parse.GetValue(_task));
        Add("approvalId", parse.GetValue(_approval));
        Add("approver", parse.GetValue(_approver));
        Add("resource", parse.GetValue(_resource));
        Add("derivedFrom", parse.GetValue(_derivedFrom));
        Add("issuedAfter", parse.GetValue(_issuedAfter) is { } after ? Times.Wire(after) : null);
        Add("issuedBefore", parse.GetValue(_issuedBefore) is { } before ? Times.Wire(before) : null);
        if (selector.Count == 0)
        {
            throw new BrokerCliException(ExitCodes.Usage, "name at least one selector flag (--workload, --workflow, --task, --approval, --approver, --resource, --derived-from, --issued-after, --issued-before).");
        }

        return selector;
    }
}
