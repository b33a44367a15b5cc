using System.CommandLine;
using System.Text.Json.Nodes;
using CredentialBroker.Cli.CommandLine;
using Spectre.Console;

namespace CredentialBroker.Cli.Soc;

/// <summary><c>brokerctl dev</c>: helpers for a broker in dev mode (its dev identities).</summary>
internal static class DevCommands
{
    public static Command Dev()
    {
        var file = new Option<FileInfo?>("--file") { Description = "The dev credentials file (default: the dev broker's, under the temp directory)." };
        var identitiesOutput = OutputOption.Create();
        var identities = new Command("identities", "List the dev identities and when their SVIDs expire.") { file, identitiesOutput };
        identities.SetAction((parse, _) => CliContext.RunAsync(() =>
        {
            var path = parse.GetValue(file)?.FullName ?? CliContext.DevCredentialsFile;
            var credentials = Read(path);
            var rows = credentials.AsObject().Where(e => e.Key != "issuer").Select(entry =>
            {
                var payload = JsonNode.Parse(((string?)entry.Value)?.Split('.') is [_, var body, ..] ? Decode(body) : "{}")!;
                return (Identity: entry.Key, SpiffeId: (string?)payload["sub"], Expires: (long?)payload["exp"] is { } exp ? DateTimeOffset.FromUnixTimeSeconds(exp) : (DateTimeOffset?)null);
            }).ToList();
            if (parse.GetValue(identitiesOutput) == OutputOption.Json)
            {
                CliContext.WriteJson(new JsonObject
                {
                    ["issuer"] = (string?)credentials["issuer"],
                    ["file"] = path,
                    ["identities"] = new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject
                    {
                        ["identity"] = r.Identity,
                        ["spiffeId"] = r.SpiffeId,
                        ["expiresAt"] = r.Expires is { } expires ? Times.Wire(expires) : null,
                    })]),
                });
                return Task.FromResult(ExitCodes.Success);
            }

            var table = new Table().AddColumn("identity").AddColumn("SPIFFE ID").AddColumn("expires");
            foreach (var row in rows)
            {
                table.AddRow(TerminalText.Markup(row.Identity), TerminalText.Markup(row.SpiffeId ?? "?"), row.Expires is { } expires ? Times.Display(expires) : "-");
            }

            AnsiConsole.MarkupLine($"Broker: {TerminalText.Markup((string?)credentials["issuer"] ?? "?")} (identities from {Markup.Escape(path)})");
            AnsiConsole.Write(table);
            return Task.FromResult(ExitCodes.Success);
        }));

        var role = new Argument<string>("IDENTITY") { Description = "orchestrator, agent or soc." };
        role.CompletionSources.Add("orchestrator", "agent", "soc");
        var svidFile = new Option<FileInfo?>("--file") { Description = "The dev credentials file (default: the dev broker's, under the temp directory)." };
        var svidOutput = OutputOption.Create();
        var svid = new Command("svid", "Print one dev identity's JWT-SVID (-o table: the token alone), e.g. for curl: -H \"Authorization: Bearer $(brokerctl dev svid orchestrator)\".") { role, svidFile, svidOutput };
        svid.SetAction((parse, _) => CliContext.RunAsync(() =>
        {
            var identity = parse.GetValue(role)!;
            var token = CliContext.ReadSvid(parse.GetValue(svidFile)?.FullName ?? CliContext.DevCredentialsFile, identity);
            if (parse.GetValue(svidOutput) == OutputOption.Json)
            {
                CliContext.WriteJson(new JsonObject { ["identity"] = identity, ["svid"] = token });
            }
            else
            {
                Console.Out.WriteLine(token);
            }

            return Task.FromResult(ExitCodes.Success);
        }));

        return new Command("dev", "Helpers for a broker in dev mode.") { identities, svid };
    }

    private static JsonNode Read(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) ?? throw new BrokerCliException(ExitCodes.Usage, $"'{path}' is empty.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BrokerCliException(ExitCodes.Usage, $"cannot read '{path}' ({ex.Message}): is a dev-mode broker running? Start one with: dotnet run --project src/CredentialBroker.Server");
        }
        catch (System.Text.Json.JsonException)
        {
            throw new BrokerCliException(ExitCodes.Usage, $"'{path}' is not a dev credentials file.");
        }
    }

    private static string Decode(string segment)
    {
        var padded = segment.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - (padded.Length % 4)) % 4);
        return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(padded));
    }
}
