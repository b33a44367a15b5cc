using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Hosting;

/// <summary>The curl walkthroughs of the README and the docs, run verbatim with bash against the real broker in development mode.</summary>
public sealed class ReadmeWalkthroughTests
{
    private const string Begin = "<!-- walkthrough:begin -->";
    private const string End = "<!-- walkthrough:end -->";

    private static string Walkthrough(string document = "README.md")
    {
        var readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, document));
        var block = readme[(readme.IndexOf(Begin, StringComparison.Ordinal) + Begin.Length)..readme.IndexOf(End, StringComparison.Ordinal)];
        var lines = block.Trim().Split('\n');
        Assert.That(lines[0].Trim(), Is.EqualTo("```bash"), "the walkthrough is one bash block");
        return string.Join('\n', lines[1..^1]);
    }

    private static async Task<ProcessRunner.Result> RunAgainstDevBrokerAsync(
        string script, IReadOnlyDictionary<string, string>? environment = null, IReadOnlyDictionary<string, string>? brokerEnvironment = null)
    {
        var credentials = Path.Combine(Scratch.CreateDirectory("cb-dev-").FullName, "dev.json");
        var broker = $"http://127.0.0.1:{BrokerProcess.FreePort()}";
        await using var process = await BrokerProcess.StartListeningAsync(
            new Dictionary<string, string>(brokerEnvironment ?? new Dictionary<string, string>()) { ["ASPNETCORE_ENVIRONMENT"] = "Development" },
            "--urls", broker, "--dev-credentials-file", credentials);
        var variables = new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["BROKER"] = broker, ["CREDS"] = credentials };
        return await ProcessRunner.RunAsync("bash", ["-euo", "pipefail", "-c", script], variables);
    }

    [Test]
    public async Task The_soc_drill_works_verbatim()
    {
        var scratch = Directory.CreateTempSubdirectory("cb-drill-").FullName;
        var bash = await RunAgainstDevBrokerAsync(Walkthrough(Path.Combine("docs", "soc.md")), new Dictionary<string, string>
        {
            ["BROKERCTL"] = $"{ProcessRunner.DotnetHost} {Path.Combine(AppContext.BaseDirectory, "brokerctl.dll")}",
            ["TMPDIR"] = scratch,
        });
        var lines = bash.StandardOutput.TrimEnd().Split('\n');

        Assert.Multiple(() =>
        {
            Assert.That(bash.ExitCode, Is.Zero, bash.StandardError);
            Assert.That(lines, Is.EqualTo(new[]
            {
                "{\"total\":2,\"byKind\":{\"task\":2},\"byResource\":{\"broker\":2}}",
                "{\"status\":\"completed\",\"matched\":2,\"verified\":2}",
                "{\"credentials\":2,\"stillValidAfter5Days\":0}",
            }));
            Assert.That(File.ReadAllText(Path.Combine(scratch, "exposure.html")), Does.Contain("<svg"));
        });
    }

    [Test]
    public async Task The_downstream_secret_walkthrough_works_verbatim_against_a_real_postgresql()
    {
        // Steps 1 and 2 of docs/backends.md, on the test cluster: the role secrets join and the table it may read.
        var postgres = await Downstream.SecretBackend.SharedPostgresAsync();
        await postgres.ExecuteAsSuperuserAsync("""
            DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'payments_reader') THEN CREATE ROLE payments_reader NOLOGIN; END IF; END $$;
            CREATE TABLE IF NOT EXISTS invoices (id int PRIMARY KEY, amount numeric);
            INSERT INTO invoices VALUES (1, 42.50) ON CONFLICT DO NOTHING;
            GRANT SELECT ON invoices TO payments_reader;
            """);
        if (postgres.VersionNumber >= 160000)
        {
            await postgres.ExecuteAsSuperuserAsync($"GRANT payments_reader TO \"{postgres.AdminRole}\" WITH ADMIN OPTION");
        }

        // Step 3: the provider settings, as environment variables.
        var bash = await RunAgainstDevBrokerAsync(Walkthrough(Path.Combine("docs", "backends.md")), brokerEnvironment: new Dictionary<string, string>
        {
            ["CredentialBroker__Downstream__Providers__payments__Kind"] = "postgresql",
            ["CredentialBroker__Downstream__Providers__payments__Resource"] = "postgres://payments",
            ["CredentialBroker__Downstream__Providers__payments__ConnectionString"] = postgres.AdminConnectionString,
            ["CredentialBroker__Downstream__Providers__payments__Roles__0"] = "payments_reader",
        });

        Assert.Multiple(() =>
        {
            Assert.That(bash.ExitCode, Is.Zero, bash.StandardError);
            Assert.That(bash.StandardOutput.TrimEnd().Split('\n'), Is.EqualTo(new[] { "1", "password authentication failed" }));
        });
    }

    [Test]
    public async Task The_token_exchange_walkthrough_works_verbatim()
    {
        var bash = await RunAgainstDevBrokerAsync(Walkthrough(Path.Combine("docs", "token-exchange.md")));

        Assert.Multiple(() =>
        {
            Assert.That(bash.ExitCode, Is.Zero, bash.StandardError);
            Assert.That(bash.StandardOutput, Does.Contain("\"issued_token_type\": \"urn:ietf:params:oauth:token-type:access_token\""));
            Assert.That(bash.StandardOutput, Does.Contain("\"scope\": \"sql.query:read\""));
            Assert.That(bash.StandardOutput, Does.Contain("\"scope\": \"sql.query:read sql.query:list\""));
            Assert.That(bash.StandardOutput.TrimEnd().Split('\n')[^1], Does.StartWith("{\"error\":\"invalid_scope\""));
        });
    }

    [Test]
    public async Task The_risk_walkthrough_works_verbatim()
    {
        var bash = await RunAgainstDevBrokerAsync(Walkthrough(Path.Combine("docs", "policy.md")));
        var lines = bash.StandardOutput.TrimEnd().Split('\n');

        Assert.Multiple(() =>
        {
            Assert.That(bash.ExitCode, Is.Zero, bash.StandardError);
            Assert.That(lines, Is.EqualTo(new[]
            {
                "{\"kind\":\"workload\",\"id\":\"spiffe://dev.local/agent\",\"level\":\"high\"}",
                "[{\"id\":\"spiffe://dev.local/agent\",\"level\":\"high\"}]",
                "{\"status\":403,\"rule\":\"deny-high-risk\"}",
                "{\"state\":\"created\"}",
            }));
        });
    }

    [Test]
    public async Task The_walkthrough_works_verbatim()
    {
        var bash = await RunAgainstDevBrokerAsync(Walkthrough());
        var output = bash.StandardOutput;

        Assert.Multiple(() =>
        {
            Assert.That(bash.ExitCode, Is.Zero, bash.StandardError);
            Assert.That(output, Does.Contain("\"state\": \"created\""));
            Assert.That(output, Does.Contain("\"active\": true"));
            Assert.That(output, Does.Contain("\"sub\": \"spiffe://dev.local/agent\""));
            Assert.That(output, Does.Contain("\"state\": \"completed\""));
            Assert.That(output, Does.Contain("\"revoked\": 1"));
            Assert.That(output.TrimEnd().Split('\n')[^1], Is.EqualTo("{\"active\":false}"));
        });
    }
}
