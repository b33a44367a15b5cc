using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Cli.CommandLine;
using CredentialBroker.Cli.Soc;
using Spectre.Console;

namespace CredentialBroker.Cli.Trust;

/// <summary>
/// <c>brokerctl trust init DIR --trust-domain NAME</c> and <c>brokerctl trust svid --dir DIR --id ID --audience URL</c>:
/// a trust domain and SVIDs for trying the broker in production mode without SPIRE. For trials, not production.
/// </summary>
internal static class TrustCommands
{
    /// <summary>The issuer the appsettings.json snippet names unless told otherwise: where the broker listens by default.</summary>
    public const string DefaultIssuer = "http://127.0.0.1:8080";

    /// <summary>The shortest SVID <c>trust svid</c> mints: shorter would expire within the broker's clock skew.</summary>
    public static readonly TimeSpan MinSvidLifetime = TimeSpan.FromMinutes(1);

    /// <summary>The longest: the broker refuses caller SVIDs that live longer (<c>MaxCallerCredentialLifetime</c>, 24 h by default).</summary>
    public static readonly TimeSpan MaxSvidLifetime = TimeSpan.FromHours(24);

    private const string TrialWarning = "FOR TRIALS, NOT PRODUCTION:";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }; // '+', '<' as they are: this is a terminal, not HTML

    public static Command Create() => new("trust", "A trust domain for trials without SPIRE: a CA, JWT and X.509 bundles, a broker signing key, and SVIDs minted from them. For trials, not production.")
    {
        Init(),
        Svid(),
    };

    private static Command Init()
    {
        var directory = new Argument<DirectoryInfo>("DIR") { Description = "The directory to write (created with mode 0700 if it does not exist)." };
        var trustDomain = new Option<string>("--trust-domain") { Description = "The trust domain's name, e.g. trial.example (lowercase letters, digits, '.', '-', '_').", HelpName = "NAME", Required = true };
        var issuer = new Option<string>("--issuer")
        {
            Description = "The broker's issuer URL, for the appsettings.json snippet printed at the end.",
            HelpName = "URL",
            DefaultValueFactory = _ => DefaultIssuer,
        };
        var force = new Option<bool>("--force") { Description = "Replace a trust domain already in DIR (SVIDs minted from its keys stop validating)." };
        var output = OutputOption.Create();
        var command = new Command("init", "Create a trust domain for trials in DIR: a CA (X.509 bundle), a JWT-SVID key (JWT bundle), a broker signing key, and a README. Prints the appsettings.json to use them.")
        {
            directory, trustDomain, issuer, force, output,
        };
        command.SetAction((parse, _) => CliContext.RunAsync(() => Task.FromResult(RunInit(
            parse.GetRequiredValue(directory).FullName, parse.GetValue(trustDomain)!, parse.GetValue(issuer)!, parse.GetValue(force), parse.GetValue(output) == OutputOption.Json, TimeProvider.System))));
        return command;
    }

    private static Command Svid()
    {
        var directory = new Option<DirectoryInfo>("--dir") { Description = "A directory written by 'brokerctl trust init'.", HelpName = "DIR", Required = true };
        var id = new Option<string>("--id") { Description = "The SVID's SPIFFE ID, in the trust domain of DIR, e.g. spiffe://trial.example/agents/bot.", HelpName = "SPIFFE-ID", Required = true };
        var audience = new Option<string>("--audience")
        {
            Description = "For a JWT-SVID (required without --x509): who it is for, the broker's issuer URL (or, as a delegation's actor token, the delegating agent's SPIFFE ID).",
            HelpName = "URL",
        };
        var ttl = ValueParsers.Duration("--ttl", $"How long the SVID is valid, {Durations.Display(MinSvidLifetime)} to {Durations.Display(MaxSvidLifetime)}: 90s, 15m, 1h, 1h30m.", TimeSpan.FromHours(1));
        var x509 = new Option<DirectoryInfo>("--x509") { Description = "Write an X.509-SVID to OUTDIR instead: svid.pem, svid.key (mode 0600) and bundle.pem.", HelpName = "OUTDIR" };
        var output = OutputOption.Create();
        var command = new Command("svid", "Mint an SVID from a trial trust domain: a JWT-SVID on stdout, or with --x509 an X.509-SVID and its key in files. For trials, not production.")
        {
            directory, id, audience, ttl, x509, output,
        };
        command.SetAction((parse, _) => CliContext.RunAsync(() => Task.FromResult(RunSvid(
            parse.GetRequiredValue(directory).FullName, parse.GetValue(id)!, parse.GetValue(audience), parse.GetValue(ttl) ?? TimeSpan.FromHours(1),
            parse.GetValue(x509)?.FullName, parse.GetValue(output) == OutputOption.Json, TimeProvider.System))));
        return command;
    }

    private static int RunInit(string directory, string name, string issuer, bool force, bool json, TimeProvider time)
    {
        if (!SpiffeId.IsValidTrustDomain(name, out var nameError))
        {
            var hint = name.StartsWith("spiffe://", StringComparison.Ordinal) ? " (give the name alone, without spiffe://)" : string.Empty;
            throw new BrokerCliException(ExitCodes.Usage, $"--trust-domain must be a trust domain name, not '{name}': {nameError}{hint}; for example --trust-domain trial.example.");
        }

        if (!IsIssuer(issuer))
        {
            throw new BrokerCliException(ExitCodes.Usage, $"--issuer must be an absolute http(s) URL without user info, query, fragment or trailing slash, not '{issuer}'; for example --issuer {DefaultIssuer}.");
        }

        var existing = TrustFiles.All.Where(file => File.Exists(Path.Combine(directory, file))).ToList();
        if (existing.Count > 0 && !force)
        {
            throw new BrokerCliException(ExitCodes.Usage, $"'{directory}' already holds a trust domain ({string.Join(", ", existing)}); pass --force to replace it (SVIDs minted from its keys then stop validating).");
        }

        PrivateFiles.EnsureDirectory(directory);
        var now = time.GetUtcNow();
        using var domain = TrialTrustDomain.Create(name, now);
        using var brokerKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var contents = new Dictionary<string, (string Text, bool Secret, string What)>
        {
            [TrustFiles.CaCertificate] = (domain.Authority.ExportCertificatePem() + "\n", false, $"the X.509 authority of spiffe://{name} (EC P-256 CA), valid until {Times.Display(domain.Authority.NotAfter)}"),
            [TrustFiles.CaKey] = (domain.AuthorityKeyPem, true, "the authority's private key: signs X.509-SVIDs (trust svid --x509)"),
            [TrustFiles.X509Bundle] = (domain.Authority.ExportCertificatePem() + "\n", false, $"the X.509 bundle: CredentialBroker:X509Bundles:{name}"),
            [TrustFiles.JwtSigningKey] = (domain.JwtKeyPem, true, "the private key that signs JWT-SVIDs (trust svid)"),
            [TrustFiles.JwtBundle] = (domain.JwtBundleJson, false, $"the JWT bundle (SPIFFE bundle, use jwt-svid): CredentialBroker:TrustBundles:{name}"),
            [TrustFiles.BrokerSigningKey] = (brokerKey.ExportPkcs8PrivateKeyPem() + "\n", true, "the broker's token signing key (PEM, P-256): CredentialBroker:SigningKeys:0:Path"),
        };
        contents[TrustFiles.Readme] = (Readme(name, directory, now, contents), false, "what each file is; for trials only");
        foreach (var file in TrustFiles.All)
        {
            PrivateFiles.Write(Path.Combine(directory, file), contents[file].Text, contents[file].Secret);
        }

        var settings = AppSettings(name, directory, issuer);
        Console.Error.WriteLine($"{TrialWarning} brokerctl keeps these keys in plain files and nothing rotates them. In production, SVIDs come from SPIRE (or your SPIFFE implementation) and the broker's key from your secret store.");
        if (json)
        {
            CliContext.WriteJson(new JsonObject
            {
                ["trustDomain"] = name,
                ["directory"] = directory,
                ["files"] = new JsonArray([.. TrustFiles.All.Select(file => (JsonNode)new JsonObject
                {
                    ["file"] = file,
                    ["path"] = Path.Combine(directory, file),
                    ["mode"] = PrivateFiles.Mode(Path.Combine(directory, file)),
                    ["description"] = contents[file].What,
                })]),
                ["appsettings"] = settings,
            });
            return ExitCodes.Success;
        }

        AnsiConsole.MarkupLine($"Wrote the trust domain [bold]{Markup.Escape(name)}[/] to {Markup.Escape(directory)} (mode {PrivateFiles.Mode(directory)}):");
        var table = new Table().AddColumn("file").AddColumn("mode").AddColumn("what");
        foreach (var file in TrustFiles.All)
        {
            var path = Path.Combine(directory, file);
            table.AddRow(Markup.Escape(path), PrivateFiles.Mode(path), Markup.Escape(contents[file].What));
        }

        AnsiConsole.Write(table);
        AnsiConsole.WriteLine();
        AnsiConsole.WriteLine("appsettings.json for a production-mode broker with these files (set Issuer to the broker's URL and ConnectionStrings:Redis to your Redis):");
        Console.Out.WriteLine(settings.ToJsonString(Indented));
        return ExitCodes.Success;
    }

    private static int RunSvid(string directory, string idText, string? audience, TimeSpan ttl, string? x509Directory, bool json, TimeProvider time)
    {
        const string Example = "spiffe://trial.example/agents/bot";
        if (!SpiffeId.TryParse(idText, out var id, out var idError))
        {
            throw new BrokerCliException(ExitCodes.Usage, $"--id must be a SPIFFE ID, not '{idText}': {idError}; for example --id {Example}.");
        }

        if (ttl < MinSvidLifetime || ttl > MaxSvidLifetime)
        {
            throw new BrokerCliException(ExitCodes.Usage, $"--ttl must be between {Durations.Display(MinSvidLifetime)} and {Durations.Display(MaxSvidLifetime)} (the broker refuses caller SVIDs that live longer), not {Durations.Display(ttl)}; for example --ttl 1h.");
        }

        if (x509Directory is null && audience is null)
        {
            throw new BrokerCliException(ExitCodes.Usage, $"a JWT-SVID needs --audience, the broker's issuer URL; for example --audience {DefaultIssuer} (or --x509 OUTDIR for an X.509-SVID, which has no audience).");
        }

        if (x509Directory is not null && audience is not null)
        {
            throw new BrokerCliException(ExitCodes.Usage, "an X.509-SVID has no audience: leave out --audience with --x509.");
        }

        if (audience is not null && !IsAudience(audience))
        {
            throw new BrokerCliException(ExitCodes.Usage, $"--audience must be an absolute URL, the broker's issuer URL (or a SPIFFE ID), not '{audience}'; for example --audience {DefaultIssuer}.");
        }

        using var domain = TrialTrustDomain.Load(directory, needAuthorityKey: x509Directory is not null);
        if (id.TrustDomain != domain.Name)
        {
            throw new BrokerCliException(ExitCodes.Usage, $"--id {id} is in the trust domain '{id.TrustDomain}', but '{directory}' holds '{domain.Name}'; for example --id spiffe://{domain.Name}{id.Path}.");
        }

        var now = time.GetUtcNow();
        Console.Error.WriteLine($"{TrialWarning} brokerctl minted this SVID from the keys in {directory}. In production, SVIDs come from SPIRE (or your SPIFFE implementation), never from keys on an operator's disk.");
        if (x509Directory is null)
        {
            var svid = domain.Minter.Mint(id.Path, audience!, now, ttl);
            if (json)
            {
                CliContext.WriteJson(new JsonObject
                {
                    ["spiffeId"] = id.Value,
                    ["audience"] = audience,
                    ["keyId"] = domain.Minter.Key.KeyId,
                    ["issuedAt"] = Times.Wire(now),
                    ["expiresAt"] = Times.Wire(now + ttl),
                    ["svid"] = svid,
                });
            }
            else
            {
                Console.Out.WriteLine(svid); // the token alone, for $(brokerctl trust svid …)
            }

            return ExitCodes.Success;
        }

        var (certificate, key) = domain.IssueX509Svid(id, now, ttl);
        using (certificate)
        using (key)
        {
            PrivateFiles.EnsureDirectory(x509Directory);
            var files = new[]
            {
                (Name: "certificate", Path: Path.Combine(x509Directory, TrustFiles.SvidCertificate), Text: certificate.ExportCertificatePem() + "\n", Secret: false),
                (Name: "key", Path: Path.Combine(x509Directory, TrustFiles.SvidKey), Text: key.ExportPkcs8PrivateKeyPem() + "\n", Secret: true),
                (Name: "bundle", Path: Path.Combine(x509Directory, TrustFiles.SvidBundle), Text: domain.Authority.ExportCertificatePem() + "\n", Secret: false),
            };
            foreach (var file in files)
            {
                PrivateFiles.Write(file.Path, file.Text, file.Secret);
            }

            if (json)
            {
                var written = new JsonObject();
                foreach (var file in files)
                {
                    written[file.Name] = file.Path;
                }

                CliContext.WriteJson(new JsonObject
                {
                    ["spiffeId"] = id.Value,
                    ["notBefore"] = Times.Wire(certificate.NotBefore),
                    ["expiresAt"] = Times.Wire(certificate.NotAfter),
                    ["files"] = written,
                });
                return ExitCodes.Success;
            }

            AnsiConsole.MarkupLine($"X.509-SVID for [bold]{Markup.Escape(id.Value)}[/], valid until {Times.Display(certificate.NotAfter)}:");
            var table = new Table().AddColumn("file").AddColumn("mode").AddColumn("what");
            foreach (var file in files)
            {
                table.AddRow(Markup.Escape(file.Path), PrivateFiles.Mode(file.Path), file.Name);
            }

            AnsiConsole.Write(table);
            return ExitCodes.Success;
        }
    }

    /// <summary>The appsettings.json that runs a production-mode broker on these files and a local Redis.</summary>
    private static JsonObject AppSettings(string name, string directory, string issuer) => new()
    {
        // Polly logs every Redis call at Information; a trial's log should show the broker, not its retries.
        ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Information", ["Microsoft.AspNetCore"] = "Warning", ["Polly"] = "Warning" } },
        ["ConnectionStrings"] = new JsonObject { ["Redis"] = "127.0.0.1:6379" },
        ["CredentialBroker"] = new JsonObject
        {
            ["Issuer"] = issuer,
            ["SigningKeys"] = new JsonArray(new JsonObject { ["Path"] = Path.Combine(directory, TrustFiles.BrokerSigningKey) }),
            ["TrustBundles"] = new JsonObject { [name] = Path.Combine(directory, TrustFiles.JwtBundle) },
            ["X509Bundles"] = new JsonObject { [name] = Path.Combine(directory, TrustFiles.X509Bundle) },
            ["Roles"] = new JsonObject
            {
                ["Orchestrator"] = new JsonArray($"spiffe://{name}/orchestrators/"),
                ["Agent"] = new JsonArray($"spiffe://{name}/agents/"),
                ["Soc"] = new JsonArray($"spiffe://{name}/soc/"),
                ["ResourceServer"] = new JsonArray($"spiffe://{name}/resource-servers/"),
            },
        },
    };

    private static string Readme(string name, string directory, DateTimeOffset now, Dictionary<string, (string Text, bool Secret, string What)> contents)
    {
        var lines = new List<string>
        {
            $"A trust domain for trials: spiffe://{name}",
            $"Written by 'brokerctl trust init' at {Times.Display(now)}.",
            string.Empty,
            "FOR TRIALS, NOT PRODUCTION. These keys sit in plain files on one disk and nothing rotates them.",
            "In production, SVIDs come from SPIRE (or another SPIFFE implementation) and the broker's signing",
            "key from your secret store; only the bundles (public) and the broker's key are configured here.",
            string.Empty,
        };
        lines.AddRange(TrustFiles.All.Where(contents.ContainsKey).Select(file => string.Create(CultureInfo.InvariantCulture, $"{file,-20}{(contents[file].Secret ? "(mode 0600) " : string.Empty)}{contents[file].What}")));
        lines.Add($"{TrustFiles.Readme,-20}this file");
        lines.AddRange(
        [
            string.Empty,
            "Mint SVIDs from it:",
            $"  brokerctl trust svid --dir {directory} --id spiffe://{name}/agents/bot --audience {DefaultIssuer}",
            "      prints a JWT-SVID (for the broker whose issuer URL is the audience)",
            $"  brokerctl trust svid --dir {directory} --id spiffe://{name}/agents/bot --x509 OUTDIR",
            "      writes an X.509-SVID (svid.pem, svid.key, bundle.pem) for mutual TLS",
            string.Empty,
            "'brokerctl trust init' prints the appsettings.json that configures a broker with these files;",
            "docs/quickstart-production.md walks through the whole trial.",
        ]);
        return string.Join('\n', lines) + "\n";
    }

    private static bool IsIssuer(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
        && uri.UserInfo.Length == 0 && uri.Query.Length == 0 && uri.Fragment.Length == 0 && !value.EndsWith('/');

    private static bool IsAudience(string value) =>
        value.StartsWith("spiffe://", StringComparison.Ordinal)
            ? SpiffeId.TryParse(value, out _, out _)
            : Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.UserInfo.Length == 0 && uri.Fragment.Length == 0;
}
