// A resource server protected by CredentialBroker: agents call it over mutual TLS with their X.509-SVID and
// present a broker access token bound to that SVID. Files as a SPIFFE helper (or the SPIRE agent) writes them:
//   ResourceServer__CertificateFile / __KeyFile  this server's X.509-SVID (PEM)
//   ResourceServer__BundleFile                   the X.509 trust bundle (PEM) client certificates must chain to
//   ResourceServer__JwtSvidFile                  this server's JWT-SVID, audience: the broker
//   ResourceServer__BrokerIssuer, __Audience     the broker's issuer URL and this server's identifier
//   ResourceServer__RequireHttps                 false only to reach a broker on plain HTTP (local trials)
// Run: dotnet run --project samples/ResourceServer -- --urls https://0.0.0.0:8443
using System.Security.Cryptography.X509Certificates;
using CredentialBroker.Client.ResourceServers;
using Microsoft.AspNetCore.Server.Kestrel.Https;

var builder = WebApplication.CreateBuilder(args);
var settings = builder.Configuration.GetSection("ResourceServer");
string Setting(string name) => settings[name] ?? throw new InvalidOperationException($"ResourceServer:{name} is required.");

builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
{
    https.ServerCertificate = X509Certificate2.CreateFromPemFile(Setting("CertificateFile"), Setting("KeyFile"));
    https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
    https.ClientCertificateValidation = (certificate, _, _) => ChainsToBundle(certificate, Setting("BundleFile"));
}));

builder.Services.AddAuthentication(BrokerAuthenticationExtensions.DefaultScheme).AddCredentialBroker(options =>
{
    options.Issuer = Setting("BrokerIssuer");
    options.Audience = Setting("Audience");
    options.RequireHttps = settings.GetValue("RequireHttps", defaultValue: true);
    options.CallerToken = async cancellationToken => (await File.ReadAllTextAsync(Setting("JwtSvidFile"), cancellationToken)).Trim();
    options.OnRevoked = revoked => Console.WriteLine($"revoked {revoked.Jti} ({revoked.Reason}); closing its sessions");
});
builder.Services.AddAuthorization();

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();

// The agent's identity is the token's subject; the library has checked it presents its own token.
app.MapGet("/invoices", (HttpContext http) => new { agent = http.User.FindFirst("sub")?.Value, invoices = new[] { "INV-1001", "INV-1002" } })
    .RequireAuthorization();

// Ready once the revocation feed is current; until then every token costs an introspection.
app.MapGet("/readyz", (IServiceProvider services) =>
    services.GetRequiredKeyedService<RevocationFeedFollower>(BrokerAuthenticationExtensions.DefaultScheme).IsCurrent
        ? Results.Text("ready")
        : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));

app.Run();

// A client certificate must chain to the SPIFFE trust bundle; the library then reads its SPIFFE ID (URI SAN).
static bool ChainsToBundle(X509Certificate2 certificate, string bundleFile)
{
    using var chain = new X509Chain();
    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
    chain.ChainPolicy.CustomTrustStore.ImportFromPemFile(bundleFile);
    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // SVIDs are short-lived; SPIFFE has no CRLs
    return chain.Build(certificate);
}
