using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using CredentialBroker.Abstractions;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Tokens;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Cli.Tests;

/// <summary>
/// <c>brokerctl trust init</c> and <c>brokerctl trust svid</c>, run as processes; what they write is judged by the broker's
/// own loaders and validators, configured the way production mode configures them.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes are part of what is checked
public sealed class TrustCommandTests : IDisposable
{
    private const string Issuer = "https://broker.trial.example";

    // One trust domain that the bad-input cases read and never change: a process start less per case.
    private static readonly string SharedDirectory = Directory.CreateTempSubdirectory("cb-trust-shared-").FullName;
    private static readonly Lazy<Task<string>> Shared = new(() => InitInAsync(Path.Combine(SharedDirectory, "trial"), "trial.example"));
    private readonly string _directory = Directory.CreateTempSubdirectory("cb-trust-").FullName;

    [OneTimeTearDown]
    public static void DeleteShared() => Directory.Delete(SharedDirectory, recursive: true);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string In(params string[] parts) => Path.Combine([_directory, .. parts]);

    private Task<string> InitAsync(string name, string trustDomain) => InitInAsync(In(name), trustDomain);

    private static async Task<string> InitInAsync(string directory, string trustDomain)
    {
        var init = await Brokerctl.RunAsync("trust", "init", directory, "--trust-domain", trustDomain);
        Assert.That(init.ExitCode, Is.Zero, init.StandardError);
        return directory;
    }

    private static async Task<string> JwtSvidAsync(string directory, string id, string audience = Issuer, string ttl = "1h")
    {
        var svid = await Brokerctl.RunAsync("trust", "svid", "--dir", directory, "--id", id, "--audience", audience, "--ttl", ttl);
        Assert.That(svid.ExitCode, Is.Zero, svid.StandardError);
        return svid.StandardOutput.Trim();
    }

    /// <summary>The options production mode binds from the appsettings.json snippet <c>trust init</c> prints for <paramref name="directories"/>.</summary>
    private static CredentialBrokerOptions ProductionOptions(params (string TrustDomain, string Directory)[] directories)
    {
        var options = new CredentialBrokerOptions { Issuer = Issuer };
        foreach (var (trustDomain, directory) in directories)
        {
            options.TrustBundles[trustDomain] = Path.Combine(directory, "jwt-bundle.json");
            options.X509Bundles[trustDomain] = Path.Combine(directory, "x509-bundle.pem");
            options.SigningKeys.Add(new SigningKeyOptions { Path = Path.Combine(directory, "broker-signing.key") });
        }

        return options;
    }

    private static JwtSvidValidator JwtValidator(CredentialBrokerOptions options, TimeProvider time) =>
        new(new TrustBundleSet(ServerInternals.LoadTrustBundles(options)), Options.Create(options), time);

    private static JsonNode Segment(string jwt, int index)
    {
        var segment = jwt.Split('.')[index].Replace('-', '+').Replace('_', '/');
        return JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(segment.PadRight(segment.Length + ((4 - (segment.Length % 4)) % 4), '='))))!;
    }

    [Test]
    public async Task Trust_init_writes_a_trust_domain_the_broker_loads_with_private_keys_0600_in_a_0700_directory_and_prints_its_appsettings()
    {
        var init = await Brokerctl.RunAsync("trust", "init", In("trial"), "--trust-domain", "trial.example", "--issuer", Issuer, "-o", "json");
        var written = JsonNode.Parse(init.StandardOutput)!;
        var settings = written["appsettings"]!["CredentialBroker"]!;
        var options = ProductionOptions(("trial.example", In("trial")));
        using var authority = X509CertificateLoader.LoadCertificateFromFile(In("trial", "ca.pem"));

        Assert.Multiple(() =>
        {
            Assert.That(init.ExitCode, Is.Zero, init.StandardError);
            Assert.That(init.StandardError, Does.StartWith("FOR TRIALS, NOT PRODUCTION:"));
            Assert.That(File.GetUnixFileMode(In("trial")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
            foreach (var key in new[] { "ca.key", "jwt-signing.key", "broker-signing.key" })
            {
                Assert.That(File.GetUnixFileMode(In("trial", key)), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), key);
            }

            Assert.That(written["files"]!.AsArray().Select(f => (string?)f!["file"]), Is.EquivalentTo(new[] { "ca.pem", "ca.key", "x509-bundle.pem", "jwt-signing.key", "jwt-bundle.json", "broker-signing.key", "README.txt" }));
            Assert.That(File.ReadAllText(In("trial", "README.txt")), Does.Contain("FOR TRIALS, NOT PRODUCTION").And.Contain("jwt-bundle.json").And.Contain("broker-signing.key"));
            Assert.That((string?)settings["Issuer"], Is.EqualTo(Issuer));
            Assert.That((string?)settings["SigningKeys"]![0]!["Path"], Is.EqualTo(options.SigningKeys[0].Path));
            Assert.That((string?)settings["TrustBundles"]!["trial.example"], Is.EqualTo(options.TrustBundles["trial.example"]));
            Assert.That((string?)settings["X509Bundles"]!["trial.example"], Is.EqualTo(options.X509Bundles["trial.example"]));
            Assert.That((string?)settings["Roles"]!["Agent"]![0], Is.EqualTo("spiffe://trial.example/agents/"));

            // The broker's loaders take every file as production mode does.
            Assert.That(ServerInternals.LoadSigningKeys(options), Has.Count.EqualTo(1));
            Assert.That(ServerInternals.LoadTrustBundles(options).Single().TrustDomain, Is.EqualTo("trial.example"));
            Assert.That(authority.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority, Is.True);
            Assert.That(authority.GetECDsaPublicKey()!.KeySize, Is.EqualTo(256));
            Assert.That(Encoding.ASCII.GetString(authority.Extensions["2.5.29.17"]!.RawData), Does.EndWith("spiffe://trial.example"));
        });
    }

    [Test]
    public async Task Trust_init_creates_its_directory_0700_and_leaves_the_mode_of_an_existing_one_but_never_of_its_keys()
    {
        var existing = Directory.CreateDirectory(In("existing"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute).FullName;
        File.SetUnixFileMode(existing, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);

        await InitAsync("created", "trial.example");
        await InitAsync("existing", "trial.example");

        Assert.Multiple(() =>
        {
            Assert.That(File.GetUnixFileMode(In("created")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
            Assert.That(File.GetUnixFileMode(existing), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute));
            foreach (var key in new[] { "ca.key", "jwt-signing.key", "broker-signing.key" })
            {
                Assert.That(File.GetUnixFileMode(Path.Combine(existing, key)), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), key);
            }
        });
    }

    [Test]
    public async Task Trust_init_refuses_to_overwrite_a_trust_domain_without_force_and_replaces_it_with_force()
    {
        var directory = await InitAsync("trial", "trial.example");
        var firstBundle = await File.ReadAllTextAsync(Path.Combine(directory, "jwt-bundle.json"));

        var refused = await Brokerctl.RunAsync("trust", "init", directory, "--trust-domain", "trial.example");
        var unchanged = await File.ReadAllTextAsync(Path.Combine(directory, "jwt-bundle.json"));
        var forced = await Brokerctl.RunAsync("trust", "init", directory, "--trust-domain", "trial.example", "--force");

        Assert.Multiple(async () =>
        {
            Assert.That(refused.ExitCode, Is.EqualTo(2));
            Assert.That(refused.StandardError, Does.Contain("already holds a trust domain").And.Contain("--force"));
            Assert.That(unchanged, Is.EqualTo(firstBundle));
            Assert.That(forced.ExitCode, Is.Zero, forced.StandardError);
            Assert.That(await File.ReadAllTextAsync(Path.Combine(directory, "jwt-bundle.json")), Is.Not.EqualTo(firstBundle));
            Assert.That(Directory.GetFiles(directory, "*.tmp"), Is.Empty);
        });
    }

    [Test]
    public async Task A_jwt_svid_from_trust_svid_validates_with_the_brokers_validator_against_the_bundle_as_the_broker_loads_it()
    {
        var directory = await InitAsync("trial", "trial.example");
        var svid = await Brokerctl.RunAsync("trust", "svid", "--dir", directory, "--id", "spiffe://trial.example/agents/bot", "--audience", Issuer, "--ttl", "15m");
        var token = svid.StandardOutput.Trim();
        var header = Segment(token, 0);
        var payload = Segment(token, 1);
        var bundle = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "jwt-bundle.json")))!["keys"]![0]!;
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds((long)payload["iat"]!));

        var result = await JwtValidator(ProductionOptions(("trial.example", directory)), time).ValidateAsync(token);
        time.Advance(TimeSpan.FromMinutes(16));
        var expired = await JwtValidator(ProductionOptions(("trial.example", directory)), time).ValidateAsync(token);

        Assert.Multiple(() =>
        {
            Assert.That(svid.ExitCode, Is.Zero, svid.StandardError);
            Assert.That(svid.StandardError, Does.StartWith("FOR TRIALS, NOT PRODUCTION:"));
            Assert.That(token.Split('.'), Has.Length.EqualTo(3), "stdout holds the token alone");
            Assert.That((string?)header["alg"], Is.EqualTo("ES256"));
            Assert.That((string?)header["typ"], Is.EqualTo("JWT"));
            Assert.That((string?)header["kid"], Is.EqualTo((string?)bundle["kid"]));
            Assert.That((string?)bundle["use"], Is.EqualTo("jwt-svid"));
            Assert.That((string?)payload["sub"], Is.EqualTo("spiffe://trial.example/agents/bot"));
            Assert.That((string?)payload["aud"], Is.EqualTo(Issuer));
            Assert.That((long)payload["exp"]! - (long)payload["iat"]!, Is.EqualTo(15 * 60));
            Assert.That(result.IsValid, Is.True, result.Failure?.ToString());
            Assert.That(result.Id?.Value, Is.EqualTo("spiffe://trial.example/agents/bot"));
            Assert.That(expired.IsValid, Is.False, "fifteen minutes means fifteen minutes");
        });
    }

    [Test]
    public async Task A_jwt_svid_of_another_trust_domain_or_of_the_same_name_with_other_keys_does_not_validate()
    {
        var trial = await InitAsync("trial", "trial.example");
        var other = await InitAsync("other", "other.example");
        var impostor = await InitAsync("impostor", "trial.example");
        var validator = JwtValidator(ProductionOptions(("trial.example", trial)), TimeProvider.System);

        var genuine = await validator.ValidateAsync(await JwtSvidAsync(trial, "spiffe://trial.example/agents/bot"));
        var otherDomain = await validator.ValidateAsync(await JwtSvidAsync(other, "spiffe://other.example/agents/bot"));
        var otherKeys = await validator.ValidateAsync(await JwtSvidAsync(impostor, "spiffe://trial.example/agents/bot"));
        var otherAudience = await validator.ValidateAsync(await JwtSvidAsync(trial, "spiffe://trial.example/agents/bot", audience: "https://another-broker.example"));

        Assert.Multiple(() =>
        {
            Assert.That(genuine.IsValid, Is.True, genuine.Failure?.ToString());
            Assert.That(otherDomain.IsValid, Is.False);
            Assert.That(otherKeys.IsValid, Is.False);
            Assert.That(otherAudience.IsValid, Is.False);
        });
    }

    [Test]
    public async Task An_x509_svid_from_trust_svid_validates_with_the_brokers_validator_against_the_written_bundle_and_one_of_another_authority_does_not()
    {
        var trial = await InitAsync("trial", "trial.example");
        var impostor = await InitAsync("impostor", "trial.example");
        var written = await Brokerctl.RunAsync("trust", "svid", "--dir", trial, "--id", "spiffe://trial.example/agents/bot", "--x509", In("svid"), "--ttl", "10m", "-o", "json");
        var forged = await Brokerctl.RunAsync("trust", "svid", "--dir", impostor, "--id", "spiffe://trial.example/agents/bot", "--x509", In("forged"));
        using var certificate = X509Certificate2.CreateFromPemFile(In("svid", "svid.pem"), In("svid", "svid.key"));
        using var forgedCertificate = X509CertificateLoader.LoadCertificateFromFile(In("forged", "svid.pem"));
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var validate = ServerInternals.X509SvidValidator(ProductionOptions(("trial.example", trial)), time);

        var genuine = validate(certificate);
        var foreign = validate(forgedCertificate);
        time.Advance(TimeSpan.FromMinutes(11));
        var expired = validate(certificate);

        Assert.Multiple(() =>
        {
            Assert.That(written.ExitCode, Is.Zero, written.StandardError);
            Assert.That(written.StandardError, Does.StartWith("FOR TRIALS, NOT PRODUCTION:"));
            Assert.That((string?)JsonNode.Parse(written.StandardOutput)!["files"]!["key"], Is.EqualTo(In("svid", "svid.key")));
            Assert.That(File.GetUnixFileMode(In("svid", "svid.key")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            Assert.That(File.ReadAllText(In("svid", "bundle.pem")), Is.EqualTo(File.ReadAllText(Path.Combine(trial, "x509-bundle.pem"))));
            Assert.That(certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority, Is.False);
            Assert.That(certificate.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages, Is.EqualTo(X509KeyUsageFlags.DigitalSignature));
            Assert.That(certificate.NotAfter - certificate.NotBefore, Is.LessThanOrEqualTo(TimeSpan.FromMinutes(11)));
            Assert.That(genuine?.Value, Is.EqualTo("spiffe://trial.example/agents/bot"));
            Assert.That(forged.ExitCode, Is.Zero, forged.StandardError);
            Assert.That(foreign, Is.Null, "issued by another authority of the same name");
            Assert.That(expired, Is.Null, "ten minutes means ten minutes");
        });
    }

    [TestCase("--id", "spiffe://trial.example/agents/bot", "--audience", Issuer, ExpectedResult = "")]
    [TestCase("--id", "trial.example/agents/bot", "--audience", Issuer, ExpectedResult = "--id must be a SPIFFE ID, not 'trial.example/agents/bot': a SPIFFE ID starts with 'spiffe://' (lowercase); for example --id spiffe://trial.example/agents/bot.")]
    [TestCase("--id", "spiffe://trial.example/agents/", "--audience", Issuer, ExpectedResult = "--id must be a SPIFFE ID, not 'spiffe://trial.example/agents/': the path has an empty segment or a trailing '/'; for example --id spiffe://trial.example/agents/bot.")]
    [TestCase("--id", "spiffe://other.example/agents/bot", "--audience", Issuer, ExpectedResult = "--id spiffe://other.example/agents/bot is in the trust domain 'other.example', but 'DIR' holds 'trial.example'; for example --id spiffe://trial.example/agents/bot.")]
    [TestCase("--id", "spiffe://trial.example/agents/bot", "--audience", "broker.trial.example", ExpectedResult = "--audience must be an absolute URL, the broker's issuer URL (or a SPIFFE ID), not 'broker.trial.example'; for example --audience http://127.0.0.1:8080.")]
    [TestCase("--id", "spiffe://trial.example/agents/bot", ExpectedResult = "a JWT-SVID needs --audience, the broker's issuer URL; for example --audience http://127.0.0.1:8080 (or --x509 OUTDIR for an X.509-SVID, which has no audience).")]
    [TestCase("--id", "spiffe://trial.example/agents/bot", "--audience", Issuer, "--ttl", "2d", ExpectedResult = "--ttl must be between 1m and 24h (the broker refuses caller SVIDs that live longer), not 48h; for example --ttl 1h.")]
    [TestCase("--id", "spiffe://trial.example/agents/bot", "--audience", Issuer, "--ttl", "30s", ExpectedResult = "--ttl must be between 1m and 24h (the broker refuses caller SVIDs that live longer), not 30s; for example --ttl 1h.")]
    [TestCase("--id", "spiffe://trial.example/agents/bot", "--audience", Issuer, "--ttl", "an hour", ExpectedResult = "--ttl must be a duration, not 'an hour'; for example --ttl 90s, 15m, 1h or 1h30m.")]
    public async Task<string> Trust_svid_refuses_bad_input_with_exit_code_2_and_one_plain_sentence(params string[] arguments)
    {
        var directory = await Shared.Value;

        var svid = await Brokerctl.RunAsync(["trust", "svid", "--dir", directory, .. arguments]);

        var errors = svid.StandardError.Split('\n').Where(l => l.StartsWith("brokerctl: ", StringComparison.Ordinal)).Select(l => l["brokerctl: ".Length..].Replace(directory, "DIR", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(svid.ExitCode, Is.EqualTo(errors.Count == 0 ? 0 : 2), svid.StandardError);
            Assert.That(errors, Has.Count.LessThanOrEqualTo(1));
            Assert.That(Brokerctl.SpeaksDotnet(svid.StandardError), Is.False, svid.StandardError);
        });
        return errors.SingleOrDefault() ?? string.Empty;
    }

    [TestCase("trial.example", ExpectedResult = 0)]
    [TestCase("Trial.Example", ExpectedResult = 2)]
    [TestCase("spiffe://trial.example", ExpectedResult = 2)]
    public async Task<int> Trust_init_takes_a_trust_domain_name_and_refuses_anything_else_in_plain_words(string trustDomain)
    {
        var init = await Brokerctl.RunAsync("trust", "init", In("trial"), "--trust-domain", trustDomain);

        Assert.Multiple(() =>
        {
            Assert.That(Brokerctl.SpeaksDotnet(init.StandardError), Is.False, init.StandardError);
            if (init.ExitCode != 0)
            {
                Assert.That(init.StandardError, Does.Contain($"brokerctl: --trust-domain must be a trust domain name, not '{trustDomain}'").And.Contain("for example --trust-domain trial.example."));
                Assert.That(Directory.Exists(In("trial")), Is.False, "nothing written");
            }
        });
        return init.ExitCode;
    }

    [Test]
    public async Task Trust_svid_from_a_directory_without_a_trust_domain_says_how_to_make_one_and_mints_once_there_is_one()
    {
        var before = await Brokerctl.RunAsync("trust", "svid", "--dir", In("trial"), "--id", "spiffe://trial.example/agents/bot", "--audience", Issuer);
        await InitAsync("trial", "trial.example");
        var after = await Brokerctl.RunAsync("trust", "svid", "--dir", In("trial"), "--id", "spiffe://trial.example/agents/bot", "--audience", Issuer);

        Assert.Multiple(() =>
        {
            Assert.That(before.ExitCode, Is.EqualTo(2));
            Assert.That(before.StandardError, Does.Contain($"brokerctl: --dir '{In("trial")}' holds no trust domain from 'brokerctl trust init' (ca.pem is missing); create one with: brokerctl trust init"));
            Assert.That(after.ExitCode, Is.Zero, after.StandardError);
        });
    }

    [Test]
    public async Task A_piped_trust_init_table_keeps_paths_longer_than_80_columns_on_one_line()
    {
        var deep = In("a-directory-with-a-long-name-for-trials", "and-another-one-below-it", "trial.example");

        var init = await Brokerctl.RunAsync("trust", "init", deep, "--trust-domain", "trial.example");

        Assert.Multiple(() =>
        {
            Assert.That(Path.Combine(deep, "broker-signing.key"), Has.Length.GreaterThan(80));
            Assert.That(init.ExitCode, Is.Zero, init.StandardError);
            Assert.That(init.StandardOutput.Split('\n').Where(l => l.Contains(Path.Combine(deep, "broker-signing.key"), StringComparison.Ordinal)), Has.Exactly(2).Items, "the table row and the appsettings snippet");
        });
    }
}
