using CredentialBroker.Downstream.Providers;

namespace CredentialBroker.Downstream.Tests.PostgreSql;

/// <summary>Start-time validation of postgresql providers: every refusal beside the same setting, valid, accepted.</summary>
public sealed class PostgreSqlOptionsTests
{
    private const string ConnectionString = "Host=db.internal;Port=5432;Database=payments;Username=cb_admin;Password=admin-secret-1";
    private const string Roles = "CredentialBroker:Downstream:Providers:payments:Roles:0";

    private static ProviderOptions Options(string? connectionString, params string[] roles)
    {
        var options = new ProviderOptions { Kind = "postgresql", Resource = "postgres://payments", ConnectionString = connectionString };
        foreach (var role in roles)
        {
            options.Roles.Add(role);
        }

        return options;
    }

    [TestCase("x\"; DROP ROLE admin; --")]
    [TestCase("reader\"")]
    [TestCase("it's")]
    [TestCase("read only")]
    [TestCase("reader;")]
    [TestCase("reader\nDROP")]
    [TestCase("")]
    [TestCase("rôle")]
    [TestCase("a234567890123456789012345678901234567890123456789012345678901234")]
    public void A_member_role_that_is_not_a_plain_identifier_is_refused(string role)
    {
        var failures = OptionsValidation.Failures(Options(ConnectionString, role));

        Assert.Multiple(() =>
        {
            Assert.That(failures, Has.Count.EqualTo(1));
            Assert.That(failures[0], Does.StartWith(Roles + " must be a plain PostgreSQL role name"));
            Assert.That(failures[0], Does.Not.Contain("DROP").And.Not.Contain(ConnectionString), "the value is not echoed");
        });
    }

    [TestCase("reader")]
    [TestCase("payments_ro")]
    [TestCase("Readers2")]
    [TestCase("_x")]
    [TestCase("a23456789012345678901234567890123456789012345678901234567890123")]
    public void A_plain_member_role_is_accepted(string role)
    {
        Assert.That(OptionsValidation.Failures(Options(ConnectionString, role)), Is.Empty);
    }

    [Test]
    public void Several_bad_roles_are_all_reported_at_once_beside_good_ones()
    {
        var failures = OptionsValidation.Failures(Options(ConnectionString, "good", "bad role", "also_good", "it's"));

        Assert.That(failures, Is.EqualTo(new[]
        {
            "CredentialBroker:Downstream:Providers:payments:Roles:1 must be a plain PostgreSQL role name: 1 to 63 ASCII letters, digits or '_' (it is used exactly, case included).",
            "CredentialBroker:Downstream:Providers:payments:Roles:3 must be a plain PostgreSQL role name: 1 to 63 ASCII letters, digits or '_' (it is used exactly, case included).",
        }));
    }

    [Test]
    public void The_admin_role_itself_is_refused_as_a_member_role_and_another_accepted()
    {
        Assert.Multiple(() =>
        {
            Assert.That(OptionsValidation.Failures(Options(ConnectionString, "cb_admin")), Has.One.Contains("the broker's own admin role"));
            Assert.That(OptionsValidation.Failures(Options(ConnectionString, "cb_reader")), Is.Empty);
        });
    }

    [TestCase(null, "is required")]
    [TestCase("  ", "is required")]
    [TestCase("Hots=db;Username=x;Password=admin-secret-1", "is not an Npgsql connection string")]
    [TestCase("Host=db;Port=notaport;Password=admin-secret-1", "is not an Npgsql connection string")]
    [TestCase("Database=payments;Username=x;Password=admin-secret-1", "must name the server")]
    public void A_missing_or_unusable_connection_string_is_refused_without_echoing_it(string? connectionString, string problem)
    {
        var failures = OptionsValidation.Failures(Options(connectionString, "reader"));

        Assert.Multiple(() =>
        {
            Assert.That(failures, Has.Count.EqualTo(1));
            Assert.That(failures[0], Does.StartWith("CredentialBroker:Downstream:Providers:payments:ConnectionString " + problem));
            Assert.That(failures[0], Does.Not.Contain("admin-secret-1"));
        });
    }

    [Test]
    public void A_valid_connection_string_with_no_member_roles_is_accepted()
    {
        Assert.That(OptionsValidation.Failures(Options(ConnectionString)), Is.Empty);
    }
}
