using CredentialBroker.Testing;

namespace CredentialBroker.Cli.Tests;

/// <summary>brokerctl authenticating with an X.509-SVID over mutual TLS, against a real broker serving HTTPS.</summary>
public sealed class MutualTlsTests
{
    [Test]
    public async Task A_soc_x509_svid_authenticates_and_a_foreign_or_unprivileged_one_is_refused()
    {
        using var pki = new TestPki("dev.local");
        using var stranger = new TestPki("dev.local"); // same trust domain name, another authority
        using var serverSvid = pki.Issue("spiffe://dev.local/broker", server: true);
        var (serverCertificate, serverKey) = pki.Write(serverSvid, "broker");
        using var socSvid = pki.Issue("spiffe://dev.local/soc");
        var (socCertificate, socKey) = pki.Write(socSvid, "soc");
        using var agentSvid = pki.Issue("spiffe://dev.local/agent");
        var (agentCertificate, agentKey) = pki.Write(agentSvid, "agent");
        using var forgedSvid = stranger.Issue("spiffe://dev.local/soc");
        var (forgedCertificate, forgedKey) = stranger.Write(forgedSvid, "forged-soc");
        var url = $"https://127.0.0.1:{BrokerProcess.FreePort()}";
        var credentials = Path.Combine(Directory.CreateTempSubdirectory("cb-cli-").FullName, "dev.json");
        await using var broker = await BrokerProcess.StartListeningAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["CredentialBroker__X509Bundles__dev.local"] = pki.BundleFile,
            ["Kestrel__Certificates__Default__Path"] = serverCertificate,
            ["Kestrel__Certificates__Default__KeyPath"] = serverKey,
        }, "--urls", url, "--dev-credentials-file", credentials);

        Task<ProcessRunner.Result> Ctl(string certificate, string key) => ProcessRunner.RunAsync(ProcessRunner.DotnetHost,
            [Path.Combine(AppContext.BaseDirectory, "brokerctl.dll"), "--broker", url, "--ca", pki.BundleFile, "--cert", certificate, "--key", key, "incident", "list", "--output", "json"]);

        var soc = await Ctl(socCertificate, socKey);
        var agent = await Ctl(agentCertificate, agentKey);
        var forged = await Ctl(forgedCertificate, forgedKey);
        var untrustedServer = await ProcessRunner.RunAsync(ProcessRunner.DotnetHost,
            [Path.Combine(AppContext.BaseDirectory, "brokerctl.dll"), "--broker", url, "--ca", stranger.BundleFile, "--cert", socCertificate, "--key", socKey, "incident", "list"]);

        Assert.Multiple(() =>
        {
            Assert.That(soc.ExitCode, Is.Zero, soc.StandardError);
            Assert.That(soc.StandardOutput.Trim(), Does.StartWith("["));
            Assert.That(agent.ExitCode, Is.EqualTo(3), "authenticated, but not the soc role");
            Assert.That(agent.StandardError, Does.Contain("spiffe://dev.local/agent"));
            Assert.That(forged.ExitCode, Is.EqualTo(3), "a certificate of another authority authenticates no one");
            Assert.That(forged.StandardError, Does.Contain("X.509-SVID"));
            Assert.That(untrustedServer.ExitCode, Is.EqualTo(2), "the broker's certificate does not chain to --ca: not an outage, retrying cannot help");
            Assert.That(untrustedServer.StandardError, Does.Contain("TLS handshake").And.Contain("--ca BUNDLE"));
        });
    }
}
