using System.Security.Cryptography;
using System.Text.Json;
using CredentialBroker.Core.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CredentialBroker.LoadHarness;

/// <summary>
/// The comparator of DESIGN §7: a bare ASP.NET Core endpoint that parses the same task request and signs one
/// ES256 JWT with similar claims — no authentication, no policy, no store. Runs as its own process (the harness
/// started with <c>bare-endpoint URL</c>), like the broker, so both are measured under the same conditions.
/// </summary>
internal static class BareEndpoint
{
    public static async Task RunAsync(string url)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        var handler = new JsonWebTokenHandler();
        var key = SigningKey.Generate("bare");
        app.MapPost("/v1/tasks", async (HttpContext http) =>
        {
            using var request = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            var agent = request.RootElement.GetProperty("agent").GetString();
            var ttl = request.RootElement.GetProperty("ttlSeconds").GetInt64();
            var now = DateTimeOffset.FromUnixTimeSeconds(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds());
            var taskId = "tsk_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            var claims = new Dictionary<string, object>
            {
                ["iss"] = url,
                ["sub"] = agent!,
                ["aud"] = url,
                ["iat"] = now.ToUnixTimeSeconds(),
                ["nbf"] = now.ToUnixTimeSeconds(),
                ["exp"] = now.ToUnixTimeSeconds() + ttl,
                ["jti"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)),
                ["task_id"] = taskId,
                ["authorization_details"] = request.RootElement.GetProperty("authorization").Clone(),
            };
            var token = handler.CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor { Claims = claims, SigningCredentials = key.Credentials, TokenType = "task+jwt" });
            return Results.Json(new { taskId, token });
        });
        await app.StartAsync();
        Console.WriteLine($"Now listening on: {url}");
        await Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(app);
    }
}
