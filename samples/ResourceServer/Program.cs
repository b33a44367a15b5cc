// A resource server protected by CredentialBroker: agents call it over mutual TLS with their X.509-SVID and present a
// broker access token bound to that SVID. By default it runs as the development-mode broker's dev resource server
// (spiffe://dev.local/resource-server, accepting tokens for https://invoices.dev.local) with no other setup:
//   dotnet run --project samples/ResourceServer                 https://127.0.0.1:8443
// Settings (command line --Name value, or environment ResourceServer__Name), for a real deployment:
//   ResourceServer__CertificateFile / __KeyFile  this server's X.509-SVID (PEM), as a SPIFFE helper writes it
//   ResourceServer__BundleFile                   the X.509 trust bundle (PEM) client certificates must chain to
//   ResourceServer__JwtSvidFile                  this server's JWT-SVID, audience: the broker
//   ResourceServer__BrokerIssuer, __Audience     the broker's issuer URL and this server's identifier
//   ResourceServer__RequireHttps                 false only to reach a broker on plain HTTP (local trials)
// The defaults come from --broker URL and --credentials DIR (or BROKER, CREDENTIALS): the dev broker's files.
using CredentialBroker.Client.ResourceServers;
using CredentialBroker.Client.Svids;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddCommandLine(args, new Dictionary<string, string> { ["--broker"] = "Broker", ["--credentials"] = "Credentials" });
builder.Logging.SetMinimumLevel(LogLevel.Warning); // one line per step below; warnings and errors still show
var settings = builder.Configuration.GetSection("ResourceServer");
var broker = builder.Configuration["Broker"] ?? "http://127.0.0.1:8080";
var dev = Path.Combine(builder.Configuration["Credentials"] ?? Path.Combine(Path.GetTempPath(), "credentialbroker"), "resource_server");
var svids = new SvidSourceOptions
{
    CertificateFile = settings["CertificateFile"] ?? Path.Combine(dev, "svid.pem"),
    KeyFile = settings["KeyFile"] ?? Path.Combine(dev, "svid_key.pem"),
    BundleFile = settings["BundleFile"] ?? Path.Combine(dev, "svid_bundle.pem"),
    JwtSvidFile = settings["JwtSvidFile"] ?? Path.Combine(dev, "jwt_svid.token"),
};
var issuer = settings["BrokerIssuer"] ?? broker.TrimEnd('/');
var audience = settings["Audience"] ?? "https://invoices.dev.local";
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("https://127.0.0.1:8443");
}

// A missing file is one line, not a stack trace.
var missing = new[] { svids.CertificateFile, svids.KeyFile, svids.BundleFile, svids.JwtSvidFile }.FirstOrDefault(f => !File.Exists(f));
if (missing is not null)
{
    Console.Error.WriteLine($"[resource-server] FAILED: {missing} does not exist: start a development-mode broker (dotnet run --project src/CredentialBroker.Server), pass --credentials DIR, or set ResourceServer__CertificateFile, __KeyFile, __BundleFile and __JwtSvidFile");
    return 2;
}

var files = new FileSvidSource(svids, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<FileSvidSource>.Instance);
var own = await files.GetX509SvidAsync(CancellationToken.None);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
{
    // The current X.509-SVID for each new connection, so a rotated one is served without a restart (a file source answers
    // synchronously, so waiting here blocks nothing).
    https.ServerCertificateSelector = (_, _) => files.GetX509SvidAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult().Certificate;
    https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
    https.ClientCertificateValidation = (certificate, _, _) => files.GetX509SvidAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult().Trusts(certificate);
}));

builder.Services.AddAuthentication(BrokerAuthenticationExtensions.DefaultScheme).AddCredentialBroker(options =>
{
    options.Issuer = issuer;
    options.Audience = audience;
    options.RequireHttps = settings.GetValue("RequireHttps", defaultValue: !issuer.StartsWith("http://", StringComparison.Ordinal));
    options.CallerToken = async cancellationToken => (await files.GetJwtSvidAsync(issuer, cancellationToken)).Token;
    options.OnRevoked = revoked => Console.WriteLine($"[resource-server] revoked {revoked.Jti} ({revoked.Reason}); closing its sessions");
});
builder.Services.AddAuthorization();

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();

// The agent's identity is the token's subject; the library has checked that the workload presenting it holds it.
app.MapGet("/invoices", (HttpContext http) => new { agent = http.User.FindFirst("sub")?.Value, presenter = PresenterIdentity.FromClientCertificate(http), invoices = new[] { "INV-1001", "INV-1002" } })
    .RequireAuthorization();

// Ready once the revocation feed is current; until then every token costs an introspection.
var feed = app.Services.GetRequiredKeyedService<RevocationFeedFollower>(BrokerAuthenticationExtensions.DefaultScheme);
app.MapGet("/readyz", () => feed.IsCurrent ? Results.Text("ready") : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));

app.Lifetime.ApplicationStarted.Register(() =>
{
    var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
    Console.WriteLine($"[resource-server] Now listening on: {string.Join(", ", addresses)} as {own.SpiffeId}, accepting broker tokens for {audience} from {issuer}");
    _ = feed.WhenCurrentAsync(app.Lifetime.ApplicationStopping).ContinueWith(
        t => Console.WriteLine("[resource-server] Following the broker's revocation feed (current)"),
        CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
});

await app.RunAsync();
return 0;
