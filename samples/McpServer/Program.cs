// An MCP server (streamable HTTP) behind CredentialBroker: an OAuth 2.1 resource server for broker access tokens. It
// publishes its protected-resource metadata (RFC 9728) naming the broker as its authorization server, answers every
// unauthenticated request with 401 and a WWW-Authenticate challenge that points at that metadata, and accepts only
// broker access tokens whose aud is its own URL (the resource an agent named, RFC 8707), from the broker's issuer,
// presented by the workload they are bound to (mutual TLS with its X.509-SVID), and not revoked. By default it runs as
// the development-mode broker's dev resource server (spiffe://dev.local/resource-server) with no other setup:
//   dotnet run --project samples/McpServer                     MCP endpoint https://127.0.0.1:8444/mcp
// Settings (command line --Name value, or environment McpServer__Name), for a real deployment:
//   McpServer__Resource                         this server's MCP URL as clients reach it (default: the first --urls + /mcp)
//   McpServer__CertificateFile / __KeyFile      this server's X.509-SVID (PEM), as a SPIFFE helper writes it
//   McpServer__BundleFile                       the X.509 trust bundle (PEM) client certificates must chain to
//   McpServer__JwtSvidFile                      this server's JWT-SVID, audience: the broker
//   McpServer__BrokerIssuer                     the broker's issuer URL
//   McpServer__RequireHttps                     false only to reach a broker on plain HTTP (local trials)
// The defaults come from --broker URL and --credentials DIR (or BROKER, CREDENTIALS): the dev broker's files.
using CredentialBroker.Client.ResourceServers;
using CredentialBroker.Client.Svids;
using CredentialBroker.Samples.McpServer;
using Microsoft.AspNetCore.Server.Kestrel.Https;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddCommandLine(args, new Dictionary<string, string> { ["--broker"] = "Broker", ["--credentials"] = "Credentials" });
builder.Logging.SetMinimumLevel(LogLevel.Warning); // one line per step below; warnings and errors still show
var settings = builder.Configuration.GetSection("McpServer");
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
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("https://127.0.0.1:8444");
}

// The resource identifier is the URL clients use: the aud of the tokens it accepts and the resource of its metadata.
var resource = settings["Resource"] ?? (builder.Configuration["urls"] ?? "https://127.0.0.1:8444").Split(';')[0].TrimEnd('/') + "/mcp";

// A missing file is one line, not a stack trace.
var missing = new[] { svids.CertificateFile, svids.KeyFile, svids.BundleFile, svids.JwtSvidFile }.FirstOrDefault(f => !File.Exists(f));
if (missing is not null)
{
    Console.Error.WriteLine($"[mcp-server] FAILED: {missing} does not exist: start a development-mode broker (dotnet run --project src/CredentialBroker.Server), pass --credentials DIR, or set McpServer__CertificateFile, __KeyFile, __BundleFile and __JwtSvidFile");
    return 2;
}

var files = new FileSvidSource(svids, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<FileSvidSource>.Instance);
var own = await files.GetX509SvidAsync(CancellationToken.None);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
{
    https.ServerCertificateSelector = (_, _) => files.GetX509SvidAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult().Certificate;
    // Allowed, not required: an MCP client discovers the metadata before it has a token; a token is accepted only over
    // a connection whose client certificate names its holder.
    https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
    https.ClientCertificateValidation = (certificate, _, _) => files.GetX509SvidAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult().Trusts(certificate);
}));

builder.Services.AddAuthentication(BrokerAuthenticationExtensions.DefaultScheme).AddCredentialBroker(options =>
{
    options.Issuer = issuer;
    options.Audience = resource;
    options.AdvertiseResourceMetadata = true;
    options.RequireHttps = settings.GetValue("RequireHttps", defaultValue: !issuer.StartsWith("http://", StringComparison.Ordinal));
    options.CallerToken = async cancellationToken => (await files.GetJwtSvidAsync(issuer, cancellationToken)).Token;
    options.OnRevoked = revoked => Console.WriteLine($"[mcp-server] revoked {revoked.Jti} ({revoked.Reason})");
});
builder.Services.AddAuthorization();
builder.Services.AddHttpContextAccessor();
// Stateless: every request carries its token and is checked on its own; nothing ties a session to a token that may be revoked.
builder.Services.AddMcpServer().WithHttpTransport(http => http.Stateless = true).WithTools([typeof(InvoiceTools)]);

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapBrokerResourceMetadata();
app.MapMcp(new Uri(resource).AbsolutePath).RequireAuthorization();

// Ready once the revocation feed is current; until then every token costs an introspection.
var feed = app.Services.GetRequiredKeyedService<RevocationFeedFollower>(BrokerAuthenticationExtensions.DefaultScheme);
app.MapGet("/readyz", () => feed.IsCurrent ? Results.Text("ready") : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));

app.Lifetime.ApplicationStarted.Register(() =>
{
    Console.WriteLine($"[mcp-server] Now serving MCP at {resource} as {own.SpiffeId}, metadata at {ProtectedResourceMetadata.LocationFor(resource)}, accepting broker tokens for {resource} from {issuer}");
    _ = feed.WhenCurrentAsync(app.Lifetime.ApplicationStopping).ContinueWith(
        t => Console.WriteLine("[mcp-server] Following the broker's revocation feed (current)"),
        CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
});

await app.RunAsync();
return 0;
