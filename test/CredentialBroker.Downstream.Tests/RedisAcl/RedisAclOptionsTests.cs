using CredentialBroker.Downstream.Providers;

namespace CredentialBroker.Downstream.Tests.RedisAcl;

/// <summary>Start-time validation of redis providers: every refused rule beside allowed ones.</summary>
public sealed class RedisAclOptionsTests
{
    private const string Acl = "CredentialBroker:Downstream:Providers:sessions:Acl";
    private const string ConnectionString = "127.0.0.1:6379,user=cb_admin,password=admin-secret-1";

    private static IReadOnlyList<string> Failures(string? acl, string? connectionString = ConnectionString) =>
        OptionsValidation.Failures(new ProviderOptions { Kind = "redis", Resource = "redis://sessions", ConnectionString = connectionString, Acl = acl }, "sessions");

    [TestCase("on")]
    [TestCase("off")]
    [TestCase("ON")]
    [TestCase("nopass")]
    [TestCase("resetpass")]
    [TestCase("reset")]
    public void A_rule_that_changes_the_users_state_or_password_is_refused(string token)
    {
        var failures = Failures($"~app:* {token} +get");

        Assert.That(failures, Is.EqualTo(new[] { $"{Acl} must not contain '{token}': it changes the user's state or password, which the broker sets itself." }));
    }

    [TestCase(">hunter2")]
    [TestCase("<hunter2")]
    [TestCase("#2ab96390c7dbe3439de74d0c9b0b1767hunter2")]
    [TestCase("!2ab96390c7dbe3439de74d0c9b0b1767hunter2")]
    public void A_password_rule_is_refused_without_echoing_it(string token)
    {
        var failures = Failures($"~app:* +get {token}");

        Assert.Multiple(() =>
        {
            Assert.That(failures, Has.Count.EqualTo(1));
            Assert.That(failures[0], Does.StartWith($"{Acl} must not set or remove passwords"));
            Assert.That(failures[0], Does.Not.Contain("hunter2"));
        });
    }

    [TestCase("+acl")]
    [TestCase("+ACL|setuser")]
    [TestCase("+config|set")]
    [TestCase("+module")]
    [TestCase("+debug")]
    [TestCase("+client|kill")]
    [TestCase("+client|pause")]
    [TestCase("+replicaof")]
    [TestCase("+SLAVEOF")]
    [TestCase("+cluster|meet")]
    [TestCase("+cluster|replicate")]
    [TestCase("+failover")]
    [TestCase("+sync")]
    [TestCase("+psync")]
    [TestCase("+@scripting")]
    [TestCase("+eval")]
    [TestCase("+evalsha")]
    [TestCase("+fcall")]
    [TestCase("+function|load")]
    [TestCase("+script|kill")]
    public void A_rule_granting_a_command_that_reaches_other_users_or_connections_is_refused(string token)
    {
        var failures = Failures($"~app:* {token}");

        Assert.That(failures, Has.One.StartWith($"{Acl} must not grant '{token[1..]}'"));
    }

    [TestCase("(~x)")]
    [TestCase("clearselectors")]
    [TestCase("skip-sanitize-payload")]
    [TestCase("app:*")]
    [TestCase("~")]
    [TestCase("&")]
    [TestCase("%X~a")]
    [TestCase("%R~")]
    [TestCase("+")]
    [TestCase("+@")]
    [TestCase("+get|")]
    [TestCase("+ge\"t")]
    public void A_token_that_is_not_an_allowed_rule_is_refused(string token)
    {
        var failures = Failures($"~app:* {token}");

        Assert.That(failures, Has.One.StartWith($"{Acl} has '{token}', which is not a rule the broker accepts."));
    }

    [TestCase("~app:* \r\n+get")]
    [TestCase("~app:*\n")]
    [TestCase("~app:*\0 +get")]
    public void Line_breaks_and_nul_are_refused_anywhere(string acl)
    {
        Assert.That(Failures(acl), Is.EqualTo(new[] { $"{Acl} must not contain CR, LF or NUL." }));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("   ")]
    public void The_rules_are_required(string? acl)
    {
        Assert.That(Failures(acl), Has.One.StartWith($"{Acl} is required"));
    }

    [TestCase("~app:* +@read")]
    [TestCase("~app:* %R~ro:* %W~wo:* %RW~rw:* &events:* resetkeys resetchannels +@read -@dangerous +get +client|setname")]
    [TestCase("~app:* +@read +cluster|slots +cluster|shards -eval -@scripting")]
    [TestCase("allkeys allchannels allcommands")]
    [TestCase("nocommands +ping ~x  +get")]
    [TestCase("ALLKEYS +GET +json.get")]
    [TestCase("+@all -@admin ~*")]
    public void Allowed_rules_pass(string acl)
    {
        Assert.That(Failures(acl), Is.Empty);
    }

    [TestCase(null, "is required")]
    [TestCase("127.0.0.1:6379,nosuchoption=1", "is not a StackExchange.Redis configuration string")]
    [TestCase("user=cb_admin,password=admin-secret-1", "must name at least one endpoint")]
    public void A_missing_or_unusable_connection_string_is_refused_without_its_password(string? connectionString, string problem)
    {
        var failures = Failures("~app:* +get", connectionString);

        Assert.Multiple(() =>
        {
            Assert.That(failures, Has.Count.EqualTo(1));
            Assert.That(failures[0], Does.StartWith("CredentialBroker:Downstream:Providers:sessions:ConnectionString " + problem));
            Assert.That(failures[0], Does.Not.Contain("admin-secret-1"));
        });
    }

    [Test]
    public void A_valid_connection_string_and_rules_are_accepted()
    {
        Assert.That(Failures("~app:* +get"), Is.Empty);
    }
}
