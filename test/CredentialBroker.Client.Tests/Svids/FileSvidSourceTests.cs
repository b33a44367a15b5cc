using CredentialBroker.Client.Svids;
using CredentialBroker.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace CredentialBroker.Client.Tests.Svids;

/// <summary>SVIDs from files a SPIFFE helper rotates: re-read at most once a second, checked, never served expired.</summary>
public sealed class FileSvidSourceTests : IDisposable
{
    private const string Broker = "https://broker.test";
    private readonly TestTrustDomain _trust = new("files.example");
    private readonly TestPki _pki = new("files.example");
    private readonly FakeTimeProvider _time = new(TimeProvider.System.GetUtcNow());
    private readonly string _directory = Directory.CreateTempSubdirectory("cb-svids-").FullName;

    public void Dispose()
    {
        _trust.Dispose();
        _pki.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private string JwtSvidFile => Path.Combine(_directory, "jwt_svid.token");

    private FileSvidSource Source() => new(new SvidSourceOptions { Directory = _directory }, _time, NullLogger<FileSvidSource>.Instance);

    private void WriteX509(string spiffeId)
    {
        using var certificate = _pki.Issue(spiffeId);
        var (certificateFile, keyFile) = _pki.Write(certificate, "current");
        File.Copy(certificateFile, Path.Combine(_directory, "svid.pem"), overwrite: true);
        File.Copy(keyFile, Path.Combine(_directory, "svid_key.pem"), overwrite: true);
        File.Copy(_pki.BundleFile, Path.Combine(_directory, "svid_bundle.pem"), overwrite: true);
    }

    [Test]
    public async Task A_rotated_jwt_svid_is_served_once_the_recheck_second_has_passed()
    {
        await File.WriteAllTextAsync(JwtSvidFile, _trust.Svid("/agents/a", Broker, _time.GetUtcNow()) + "\n");
        var source = Source();
        var first = await source.GetJwtSvidAsync(Broker, CancellationToken.None);

        await File.WriteAllTextAsync(JwtSvidFile, _trust.Svid("/agents/b", Broker, _time.GetUtcNow()));
        var withinTheSecond = await source.GetJwtSvidAsync(Broker, CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(1));
        var rotated = await source.GetJwtSvidAsync(Broker, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(first.SpiffeId, Is.EqualTo("spiffe://files.example/agents/a"));
            Assert.That(first.Token, Does.Not.EndWith("\n"), "whitespace around the token is ignored");
            Assert.That(withinTheSecond.SpiffeId, Is.EqualTo("spiffe://files.example/agents/a"), "read at most once a second");
            Assert.That(rotated.SpiffeId, Is.EqualTo("spiffe://files.example/agents/b"));
        });
    }

    [Test]
    public async Task An_expired_jwt_svid_is_refused_naming_the_file()
    {
        await File.WriteAllTextAsync(JwtSvidFile, _trust.Svid("/agents/a", Broker, _time.GetUtcNow()));
        var source = Source();
        var valid = await source.GetJwtSvidAsync(Broker, CancellationToken.None);

        _time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));

        Assert.Multiple(() =>
        {
            Assert.That(valid.ExpiresAt, Is.GreaterThan(_time.GetUtcNow() - TimeSpan.FromHours(1)));
            Assert.That(async () => await source.GetJwtSvidAsync(Broker, CancellationToken.None),
                Throws.TypeOf<SvidUnavailableException>().With.Message.Contains(JwtSvidFile).And.Message.Contains("expired"));
        });
    }

    [Test]
    public async Task A_jwt_svid_for_another_audience_is_refused()
    {
        await File.WriteAllTextAsync(JwtSvidFile, _trust.Svid("/agents/a", Broker, _time.GetUtcNow()));
        var source = Source();

        Assert.Multiple(() =>
        {
            Assert.That(async () => await source.GetJwtSvidAsync(Broker, CancellationToken.None), Throws.Nothing);
            Assert.That(async () => await source.GetJwtSvidAsync("https://other.test", CancellationToken.None),
                Throws.TypeOf<SvidUnavailableException>().With.Message.Contains("configure the SPIFFE helper's JWT audience"));
        });
    }

    [Test]
    public async Task A_rotated_x509_svid_is_served_and_chains_to_its_bundle()
    {
        WriteX509("spiffe://files.example/agents/a");
        var source = Source();
        var first = await source.GetX509SvidAsync(CancellationToken.None);

        WriteX509("spiffe://files.example/agents/b");
        _time.Advance(TimeSpan.FromSeconds(1));
        var rotated = await source.GetX509SvidAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(first.SpiffeId, Is.EqualTo("spiffe://files.example/agents/a"));
            Assert.That(rotated.SpiffeId, Is.EqualTo("spiffe://files.example/agents/b"));
            Assert.That(rotated.Certificate.HasPrivateKey, Is.True);
            Assert.That(rotated.Trusts(first.Certificate), Is.True, "both chain to the bundle");
        });
    }

    [Test]
    public async Task A_certificate_caught_without_its_new_key_is_refused_then_taken_on_the_next_read()
    {
        WriteX509("spiffe://files.example/agents/a");
        var source = Source();
        await source.GetX509SvidAsync(CancellationToken.None);
        var oldKey = await File.ReadAllBytesAsync(Path.Combine(_directory, "svid_key.pem"));

        WriteX509("spiffe://files.example/agents/b");
        var newKey = await File.ReadAllBytesAsync(Path.Combine(_directory, "svid_key.pem"));
        await File.WriteAllBytesAsync(Path.Combine(_directory, "svid_key.pem"), oldKey); // half-written rotation
        _time.Advance(TimeSpan.FromSeconds(1));
        var halfWay = await Assert.ThrowsAsync<SvidUnavailableException>(async () => await source.GetX509SvidAsync(CancellationToken.None));
        await File.WriteAllBytesAsync(Path.Combine(_directory, "svid_key.pem"), newKey);
        _time.Advance(TimeSpan.FromSeconds(1));
        var complete = await source.GetX509SvidAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(halfWay!.Message, Does.Contain("next read takes the new pair"));
            Assert.That(complete.SpiffeId, Is.EqualTo("spiffe://files.example/agents/b"));
        });
    }

    [Test]
    public void A_missing_file_is_refused_naming_it()
    {
        var source = Source();

        Assert.That(async () => await source.GetJwtSvidAsync(Broker, CancellationToken.None),
            Throws.TypeOf<SvidUnavailableException>().With.Message.Contains(JwtSvidFile));
    }
}
