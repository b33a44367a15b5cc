using System.Text;
using BenchmarkDotNet.Attributes;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Issuance;
using CredentialBroker.Core.Tasks;
using CredentialBroker.Core.Tokens;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CredentialBroker.Benchmarks;

/// <summary>
/// Minting and validating tokens, against the floor: one raw ES256 signature with <see cref="JsonWebTokenHandler"/>
/// over exactly the claims of the task token the broker mints.
/// </summary>
[MemoryDiagnoser]
public class TokenBenchmarks
{
    private static readonly JsonWebTokenHandler Handler = new();
    private static readonly string[] TaskTokenType = [TokenTypes.Task];
    private readonly SigningKey _key = SigningKey.Generate("bench");
    private TokenFactory _factory = null!;
    private BrokerTokenValidator _validator = null!;
    private JwtSvidValidator _svids = null!;
    private TaskRecord _task = null!;
    private CredentialRecord _credential = null!;
    private string _payload = null!;
    private string _taskToken = null!;
    private string _svid = null!;
    private long _minted;

    [GlobalSetup]
    public void Setup()
    {
        var now = TimeProvider.System.GetUtcNow();
        var options = BenchmarkData.Options();
        var keys = new SigningKeyRing(_key);
        _factory = new TokenFactory(keys, options, TimeProvider.System);
        _validator = new BrokerTokenValidator(keys, options, TimeProvider.System);
        var trust = new JwtSvidMinter("corp.example", SigningKey.Generate("spire"));
        _svids = new JwtSvidValidator(new TrustBundleSet([trust.Bundle]), options, TimeProvider.System);
        _task = BenchmarkData.Task("tsk_bench", now);
        _credential = BenchmarkData.TaskToken("tsk_bench", "0123456789abcdefghijkl", now);
        _taskToken = _factory.SignTaskToken(_task, _credential);
        _payload = Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(_taskToken.Split('.')[1]));
        _svid = trust.Mint("/agents/invoice-bot", BenchmarkData.Issuer, now, TimeSpan.FromHours(1));
    }

    [Benchmark(Baseline = true, Description = "floor: raw ES256 signature (JsonWebTokenHandler), same claims")]
    public string SignEs256() => Handler.CreateToken(_payload, _key.Credentials);

    [Benchmark(Description = "mint a task token (TokenFactory)")]
    public string MintTaskToken() => _factory.SignTaskToken(_task, _credential);

    [Benchmark(Description = "validate a task token seen before (BrokerTokenValidator; its signature remembered)")]
    public async Task<bool> ValidateTaskToken() => (await _validator.ValidateAsync(_taskToken, TaskTokenType)).IsValid;

    [Benchmark(Description = "mint a new task token and validate it (first sight: the signature verified)")]
    public async Task<bool> MintAndValidateNewTaskToken()
    {
        var token = _factory.SignTaskToken(_task, _credential with { Jti = $"j{Interlocked.Increment(ref _minted):D21}" });
        return (await _validator.ValidateAsync(token, TaskTokenType)).IsValid;
    }

    [Benchmark(Description = "validate a caller's JWT-SVID seen before (JwtSvidValidator; its signature remembered)")]
    public async Task<bool> ValidateSvid() => (await _svids.ValidateAsync(_svid)).IsValid;
}
