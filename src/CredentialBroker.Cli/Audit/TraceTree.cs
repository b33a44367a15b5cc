using System.Globalization;
using System.Text.Json.Nodes;
using CredentialBroker.Cli.CommandLine;
using Spectre.Console;

namespace CredentialBroker.Cli.Audit;

/// <summary>
/// An accountability trace (<c>GET /v1/audit/trace</c>) as a tree: the task, its origin, workflow, approval and every
/// operator who let it continue; then the orchestrator, the agent and each delegate down to the credential traced, with
/// the decisions and revocations on the way listed under it; last, whether the events it rests on verify. Every string
/// from the broker goes through <see cref="TerminalText"/>: ids callers wrote cannot drive the terminal.
/// </summary>
internal static class TraceTree
{
    /// <summary>The trace as a tree.</summary>
    public static Tree Build(JsonNode trace)
    {
        var task = trace["task"];
        var accountable = trace["accountable"];
        var credential = trace["credential"];
        var root = new Tree(new Markup(
            $"[bold]task {S(task?["taskId"])}[/] ({S(task?["state"])}) · created {Times.Display(task?["createdAt"])} · expires {Times.Display(task?["expiresAt"])}"));

        var origin = task?["origin"];
        root.AddNode(origin is null
            ? "origin: [dim]none recorded[/]"
            : $"origin: prompt {S(origin["promptId"])}{Optional(" · sha256 ", origin["promptSha256"])} · requested by {S(origin["requestedBy"] ?? accountable?["requestedBy"])}");
        var workflow = task?["workflow"];
        root.AddNode($"workflow: {S(workflow?["id"])} · version {S(workflow?["version"])} · designed by {S(workflow?["designer"] ?? accountable?["workflowDesigner"])}");
        var approval = task?["approval"];
        root.AddNode(approval is null
            ? "approval: [dim]none recorded[/]"
            : $"approval: {S(approval["id"])} · approved by {S(approval["approver"] ?? accountable?["approver"])} at {Times.Display(approval["approvedAt"])}");
        var operators = Strings(accountable?["continuationOperators"]);
        root.AddNode(operators.Count == 0 ? "continued by: [dim]no operator (never continued)[/]" : "continued by: " + string.Join(", ", operators.Select(TerminalText.Markup)));

        TreeNode parent = root.AddNode($"orchestrator: {S(task?["orchestrator"] ?? accountable?["orchestrator"])}");
        var chain = (trace["ancestors"]?.AsArray() ?? []).Append(credential).ToList();
        for (var i = 0; i < chain.Count; i++)
        {
            var link = chain[i];
            var traced = i == chain.Count - 1;
            var label = (i, (string?)link?["kind"]) switch
            {
                (0, _) => $"agent: {S(link?["holder"] ?? task?["agent"])} · task token {S(link?["jti"])}",
                (_, "delegated") => $"delegate: {S(link?["holder"])} · delegated token {S(link?["jti"])} (depth {S(link?["depth"])})",
                _ => $"credential: {S(link?["kind"])} {S(link?["jti"])}{(link?["resource"] is { } resource ? " → " + S(resource) : string.Empty)} · held by {S(link?["holder"])}",
            };
            label += $" · {Status(link)} · issued {Times.Display(link?["issuedAt"])} · expires {Times.Display(link?["expiresAt"])}";
            parent = parent.AddNode(traced ? $"[bold]{label}[/] [yellow]◀ traced[/]" : label);
        }

        Details(parent, credential);
        var decisions = trace["decisions"]?.AsArray() ?? [];
        var decisionsNode = parent.AddNode($"decisions ({decisions.Count})");
        foreach (var decision in decisions)
        {
            var allowed = (bool?)decision?["allowed"] != false;
            decisionsNode.AddNode(
                $"#{S(decision?["event"])} {S(decision?["type"])} · {(allowed ? "[green]allowed[/]" : "[red]DENIED[/]")}"
                + Optional(" · rule ", decision?["rule"]) + Optional(" · policy ", decision?["policyVersion"])
                + $" · {S(decision?["jti"])} · by {S(decision?["actor"])} at {Times.Display(decision?["time"])}" + Optional(" · ", decision?["reason"]));
        }

        var revocations = trace["revocations"]?.AsArray() ?? [];
        var revocationsNode = parent.AddNode($"revocations ({revocations.Count})");
        foreach (var revocation in revocations)
        {
            revocationsNode.AddNode(
                $"#{S(revocation?["event"])} {S(revocation?["type"])}" + Optional(" to ", revocation?["to"])
                + $" · {S(revocation?["jti"])} · by {S(revocation?["actor"])} at {Times.Display(revocation?["time"])}"
                + Optional(" · reason ", revocation?["reason"]) + Optional(" · bulk revocation ", revocation?["revocationId"]));
        }

        return root;
    }

    /// <summary>The closing line: whether the events the trace rests on verify.</summary>
    public static string Verdict(JsonNode trace)
    {
        var events = (int?)trace["events"] ?? 0;
        return (bool?)trace["verified"] == true
            ? $"verified: yes — the {events.ToString(CultureInfo.InvariantCulture)} boundary-log events this trace rests on hash to what they say"
            : events == 0
                ? "verified: no — the log holds no event of this task to check the trace against"
                : $"verified: no — of the {events.ToString(CultureInfo.InvariantCulture)} boundary-log events this trace rests on, at least one was altered; run brokerctl audit verify";
    }

    /// <summary>What the trace says of the credential itself: its deciding policy, key binding, secret, revocation.</summary>
    private static void Details(TreeNode node, JsonNode? credential)
    {
        if (credential?["decision"] is { } decision)
        {
            node.AddNode($"policy: {((bool?)decision["allowed"] != false ? "allowed" : "[red]denied[/]")}{Optional(" by rule ", decision["rule"])}{Optional(" · policy ", decision["policyVersion"])}{Optional(" · ", decision["reason"])}");
        }

        if (credential?["binding"] is JsonObject binding)
        {
            node.AddNode("bound to: " + string.Join(", ", binding.Select(b => $"{TerminalText.Markup(b.Key)} {S(b.Value)}")));
        }

        if (credential?["secret"] is { } secret)
        {
            node.AddNode($"secret: provider {S(secret["provider"])} · {S(secret["kind"])} · login {S(secret["username"])}");
        }

        if (credential?["revokedAt"] is { } revokedAt)
        {
            node.AddNode($"revoked at {Times.Display(revokedAt)}{Optional(" · reason ", credential["revocationReason"])}");
        }
    }

    private static string Status(JsonNode? credential) => (string?)credential?["status"] switch
    {
        "active" => "[green]active[/]",
        "revoked" => "[red]revoked[/]",
        var status => TerminalText.Markup(status),
    };

    /// <summary>A value from the broker, made safe for the terminal and for markup.</summary>
    private static string S(JsonNode? value) => value switch
    {
        null => "-",
        JsonValue v when v.TryGetValue<string>(out var text) => TerminalText.Markup(text),
        _ => TerminalText.Markup(value.ToJsonString()),
    };

    private static string Optional(string prefix, JsonNode? value) => value is null ? string.Empty : prefix + S(value);

    private static List<string> Strings(JsonNode? array) =>
        [.. (array as JsonArray ?? []).Select(s => s is JsonValue v && v.TryGetValue<string>(out var text) ? text : s?.ToJsonString() ?? "-")];
}
