using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CredentialBroker.Cli.Soc;

/// <summary>What every broker command shares: where the broker is, who we are, how to print.</summary>
internal static class CliContext
{
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }; // '+', '<' as they are: this is a terminal, not HTML

    public static readonly Option<string> Broker = new("--broker")
    {
        Description = "The broker's base URL. Default: $CB_BROKER, else http://127.0.0.1:8080 (dev mode).",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CB_BROKER") ?? "http://127.0.0.1:8080",
    };

    public static readonly Option<FileInfo?> SvidFile = new("--svid-file")
    {
        Description = "A file holding your JWT-SVID (as the SPIFFE helper writes it), or a dev-mode broker's credentials file. Default: $CB_SVID_FILE, else the dev credentials file if it exists.",
        Recursive = true,
    };

    public static readonly Option<string> As = new("--as")
    {
        Description = "With a dev credentials file: which identity to use (soc, operator, orchestrator, agent, sub_agent or resource_server). Default: soc, or operator for tasks continue.",
        Recursive = true,
        DefaultValueFactory = _ => "soc",
    };

    public static readonly Option<FileInfo?> Certificate = new("--cert")
    {
        Description = "Authenticate over mutual TLS with this X.509-SVID (PEM certificate; with --key), instead of a JWT-SVID. Needs an https --broker.",
        Recursive = true,
    };

    public static readonly Option<FileInfo?> Key = new("--key") { Description = "The private key (PEM) of --cert.", Recursive = true };

    public static readonly Option<FileInfo?> Authorities = new("--ca")
    {
        Description = "Trust the broker's server certificate only if it chains to these authorities (a PEM bundle, e.g. your SPIFFE X.509 bundle). Default: the system's roots.",
        Recursive = true,
    };

    /// <summary>The dev broker's default credentials file.</summary>
    public static string DevCredentialsFile => Path.Combine(Path.GetTempPath(), "credentialbroker", "dev-credentials.json");

    /// <summary>A client for the broker named on the command line, authenticated with the SVID it names.</summary>
    public static BrokerClient Client(ParseResult parse) => Client(parse, "soc");

    /// <summary>
    /// A client for the broker named on the command line; from a dev credentials file, as <paramref name="defaultIdentity"/>
    /// unless <c>--as</c> names another.
    /// </summary>
    public static BrokerClient Client(ParseResult parse, string defaultIdentity)
    {
        var identity = parse.GetResult(As) is { Implicit: false } ? parse.GetValue(As) ?? defaultIdentity : defaultIdentity;
        var broker = BrokerUrl(parse);
        X509Certificate2Collection? authorities = null;
        if (parse.GetValue(Authorities) is { } ca)
        {
            authorities = [];
            try
            {
                authorities.ImportFromPemFile(ca.FullName);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new BrokerCliException(ExitCodes.Usage, $"cannot read the --ca bundle '{ca.FullName}': {ex.Message}");
            }
        }

        if (parse.GetValue(Certificate) is { } certificateFile)
        {
            if (parse.GetValue(Key) is not { } keyFile)
            {
                throw new BrokerCliException(ExitCodes.Usage, "--cert needs --key (the certificate's private key, PEM).");
            }

            X509Certificate2 certificate;
            try
            {
                certificate = X509Certificate2.CreateFromPemFile(certificateFile.FullName, keyFile.FullName);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new BrokerCliException(ExitCodes.Usage, $"cannot read the X.509-SVID '{certificateFile.FullName}' with key '{keyFile.FullName}': {ex.Message}");
            }

            // An explicit --svid-file still goes along as bearer; the broker then authenticates by it.
            var bearer = parse.GetValue(SvidFile) is { } svidFile ? ReadSvid(svidFile.FullName, identity) : null;
            return new BrokerClient(broker, bearer, certificate, authorities, $"the X.509-SVID {certificateFile.FullName}");
        }

        var (file, credentials) = parse.GetValue(SvidFile)?.FullName is { } named ? (named, $"{named}, from --svid-file")
            : Environment.GetEnvironmentVariable("CB_SVID_FILE") is { Length: > 0 } fromEnvironment ? (fromEnvironment, $"{fromEnvironment}, from $CB_SVID_FILE")
            : File.Exists(DevCredentialsFile) ? (DevCredentialsFile, $"identity '{identity}' of the dev-mode broker's credentials file {DevCredentialsFile}, found by itself; pass --svid-file for another broker")
            : throw new BrokerCliException(ExitCodes.Usage, "no SVID: pass --svid-file FILE (or set CB_SVID_FILE), or start a dev-mode broker, whose credentials file brokerctl finds by itself.");
        return new BrokerClient(broker, ReadSvid(file, identity), null, authorities, credentials);
    }

    private static Uri BrokerUrl(ParseResult parse)
    {
        var broker = parse.GetValue(Broker);
        return Uri.TryCreate(broker, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? url
            : throw new BrokerCliException(ExitCodes.Usage, $"--broker '{broker}' is not an http(s) URL.");
    }

    /// <summary>The SVID in <paramref name="file"/>: the whole file, or for a dev credentials file (JSON) its <paramref name="identity"/> entry.</summary>
    public static string ReadSvid(string file, string identity)
    {
        string text;
        try
        {
            text = File.ReadAllText(file).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BrokerCliException(ExitCodes.Usage, $"cannot read the SVID file '{file}': {ex.Message}");
        }

        if (!text.StartsWith('{'))
        {
            return text;
        }

        try
        {
            return (string?)JsonNode.Parse(text)?[identity]
                ?? throw new BrokerCliException(ExitCodes.Usage, $"the credentials file '{file}' has no '{identity}' identity.");
        }
        catch (JsonException)
        {
            throw new BrokerCliException(ExitCodes.Usage, $"'{file}' is neither a JWT-SVID nor a dev credentials file.");
        }
    }

    /// <summary>
    /// Runs a broker command: failures go to stderr as one line and become the exit code. The line may quote the broker
    /// (a problem's detail names what the caller sent), so its control characters are shown escaped.
    /// </summary>
    public static async Task<int> RunAsync(Func<Task<int>> command)
    {
        try
        {
            return await command();
        }
        catch (BrokerCliException ex)
        {
            await Console.Error.WriteLineAsync("brokerctl: " + CommandLine.TerminalText.Safe(ex.Message, escapeBackslash: false));
            return ex.ExitCode;
        }
    }

    /// <summary>Prints JSON for scripts.</summary>
    public static void WriteJson(JsonNode node) => Console.Out.WriteLine(node.ToJsonString(Indented));
}
