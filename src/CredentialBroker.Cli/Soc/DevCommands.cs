using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace CredentialBroker.Cli.Soc;

/// <summary><c>brokerctl dev</c>: helpers for a broker in dev mode (its dev identities).</summary>
internal static class DevCommands
{
    public static Command Dev()
    {
        var file = new Option<FileInfo?>("--file") { Description = "The dev credentials file (default: the dev broker's, under the temp directory)." };
        var identities = new Command("identities", "List the dev identities and when their SVIDs expire.") { file };
        identities.SetAction((parse, _) => CliContext.RunAsync(() =>
        {
            var path = parse.GetValue(file)?.FullName ?? CliContext.DevCredentialsFile;
            var credentials = Read(path);
            var table = new Table().Title(Markup.Escape(path)).AddColumn("identity").AddColumn("SPIFFE ID").AddColumn("expires");
            foreach (var (name, value) in credentials.AsObject().Where(e => e.Key != "issuer"))
            {
                var payload = JsonNode.Parse(((string)value!).Split('.') is [_, var body, ..] ? Decode(body) : "{}")!;
                table.AddRow(Markup.Escape(name), Markup.Escape((string?)payload["sub"] ?? "?"), DateTimeOffset.FromUnixTimeSeconds((long?)payload["exp"] ?? 0).ToString("u"));
            }

            AnsiConsole.MarkupLine($"Broker: {Markup.Escape((string?)credentials["issuer"] ?? "?")}");
            AnsiConsole.Write(table);
            return Task.FromResult(ExitCodes.Success);
        }));

        var role = new Argument<string>("IDENTITY") { Description = "orchestrator, agent or soc." };
        var svidFile = new Option<FileInfo?>("--file") { Description = "The dev credentials file (default: the dev broker's, under the temp directory)." };
        var svid = new Command("svid", "Print one dev identity's JWT-SVID, e.g. for curl: -H \"Authorization: Bearer $(brokerctl dev svid orchestrator)\".") { role, svidFile };
        svid.SetAction((parse, _) => CliContext.RunAsync(() =>
        {
            Console.Out.WriteLine(CliContext.ReadSvid(parse.GetValue(svidFile)?.FullName ?? CliContext.DevCredentialsFile, parse.GetValue(role)!));
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
