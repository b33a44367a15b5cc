using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CredentialBroker.Downstream.Providers;
using Microsoft.Extensions.Logging;
using Polly.Timeout;

namespace CredentialBroker.Downstream.Vault;

/// <summary>
/// A small typed client for the parts of HashiCorp Vault's HTTP API the broker uses: AppRole and token login
/// (<c>lookup-self</c>, <c>renew-self</c>), reading a role's credentials, and looking up and revoking leases.
/// One per <c>vault</c> provider. It logs in lazily, keeps the token in memory only, refreshes it at two thirds of its
/// TTL, and on a 403 to a token it had been using logs in again once before giving up.
/// </summary>
/// <remarks>
/// Every request carries <c>X-Vault-Request: true</c> and, when configured, <c>X-Vault-Namespace</c>. Paths are built from
/// validated names only (<see cref="VaultPath"/>); lease ids travel only in JSON bodies. Retries, backoff and the per-attempt
/// timeout live in the named HttpClient's resilience pipeline (<see cref="VaultHttp"/>).
/// </remarks>
internal sealed partial class VaultClient
{
    private const string Redacted = "[redacted]";

    private readonly string _provider;
    private readonly VaultProviderOptions _options;
    private readonly IHttpClientFactory _httpClients;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _baseAddress;
    private readonly Lock _gate = new();

    // Values never to appear in a message: every token and secret id this client has held, and the role id.
    private readonly HashSet<string> _secrets = new(StringComparer.Ordinal);
    private Session? _session;
    private Task<Session>? _refreshing;

    public VaultClient(string provider, VaultProviderOptions options, IHttpClientFactory httpClients, TimeProvider time, ILogger<VaultClient> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Address);
        _provider = provider;
        _options = options;
        _httpClients = httpClients;
        _time = time;
        _logger = logger;
        _baseAddress = options.Address.TrimEnd('/');
        if (!string.IsNullOrEmpty(options.Auth.RoleId))
        {
            Remember(options.Auth.RoleId);
        }
    }

    /// <summary><c>POST /v1/auth/&lt;mount&gt;/login</c> with a role id and secret id: a fresh client token.</summary>
    public async Task<VaultLogin> LoginWithAppRoleAsync(string mount, string roleId, string secretId, CancellationToken cancellationToken)
    {
        RequireName(mount);
        ArgumentException.ThrowIfNullOrEmpty(roleId);
        ArgumentException.ThrowIfNullOrEmpty(secretId);
        Remember(roleId);
        Remember(secretId);
        var body = JsonSerializer.SerializeToUtf8Bytes(new VaultAppRoleLoginRequest(roleId, secretId), VaultJsonContext.Default.VaultAppRoleLoginRequest);
        var response = await SendAsync(HttpMethod.Post, VaultPath.Join("auth", mount, "login"), body, token: null, resendWhenUncertain: true, cancellationToken);
        var auth = Read(response, VaultJsonContext.Default.VaultAuthResponse).Auth;
        if (string.IsNullOrEmpty(auth?.ClientToken) || !IsHeaderSafe(auth.ClientToken))
        {
            throw Unexpected(response, "no usable auth.client_token");
        }

        Remember(auth.ClientToken);
        return new VaultLogin(auth.ClientToken, TimeSpan.FromSeconds(Math.Max(0, auth.LeaseDuration)), auth.Renewable);
    }

    /// <summary>
    /// Token login: reads the configured token (from <c>TokenFile</c> afresh each time, so a rotated file is picked up) and
    /// asks <c>GET /v1/auth/token/lookup-self</c> for its TTL.
    /// </summary>
    public async Task<VaultLogin> LoginWithTokenAsync(CancellationToken cancellationToken)
    {
        var token = await ReadConfiguredAsync(_options.Auth.Token, _options.Auth.TokenFile, "Token", cancellationToken);
        return await LookupSelfAsync(token, cancellationToken);
    }

    /// <summary><c>GET /v1/auth/token/lookup-self</c>: the token's remaining TTL and whether it is renewable.</summary>
    public async Task<VaultLogin> LookupSelfAsync(string token, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        Remember(token);
        var response = await SendAsync(HttpMethod.Get, VaultPath.Join("auth", "token", "lookup-self"), body: null, token, resendWhenUncertain: true, cancellationToken);
        var data = Read(response, VaultJsonContext.Default.VaultTokenLookupResponse).Data ?? throw Unexpected(response, "no data");
        return new VaultLogin(token, TimeSpan.FromSeconds(Math.Max(0, data.Ttl)), data.Renewable);
    }

    /// <summary><c>POST /v1/auth/token/renew-self</c>: extends the token by its own period; the token itself is unchanged.</summary>
    public async Task<VaultLogin> RenewSelfAsync(string token, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        Remember(token);
        var body = JsonSerializer.SerializeToUtf8Bytes(new VaultRenewSelfRequest(), VaultJsonContext.Default.VaultRenewSelfRequest);
        var response = await SendAsync(HttpMethod.Post, VaultPath.Join("auth", "token", "renew-self"), body, token, resendWhenUncertain: true, cancellationToken);
        var auth = Read(response, VaultJsonContext.Default.VaultAuthResponse).Auth ?? throw Unexpected(response, "no auth");
        return new VaultLogin(token, TimeSpan.FromSeconds(Math.Max(0, auth.LeaseDuration)), auth.Renewable);
    }

    /// <summary>
    /// <c>GET /v1/&lt;mount&gt;/creds/&lt;role&gt;</c>: a new leased secret. Never resent after an uncertain outcome (see
    /// <see cref="VaultHttp.ResendWhenUncertain"/>).
    /// </summary>
    public async Task<VaultCredentials> ReadCredentialsAsync(string mount, string role, CancellationToken cancellationToken)
    {
        RequireName(mount);
        RequireName(role);
        var response = await SendAuthenticatedAsync(HttpMethod.Get, VaultPath.Join(mount, "creds", role), body: null, resendWhenUncertain: false, cancellationToken);
        var secret = Read(response, VaultJsonContext.Default.VaultSecretResponse);
        if (secret.Data is null)
        {
            throw Unexpected(response, "no data");
        }

        var data = new Dictionary<string, string>(secret.Data.Count, StringComparer.Ordinal);
        foreach (var (key, value) in secret.Data)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.String:
                    data[key] = value.GetString()!;
                    break;
                case JsonValueKind.Null or JsonValueKind.Undefined:
                    break;
                default:
                    data[key] = value.GetRawText();
                    break;
            }
        }

        return new VaultCredentials(secret.LeaseId ?? string.Empty, TimeSpan.FromSeconds(Math.Max(0, secret.LeaseDuration)), secret.Renewable, data);
    }

    /// <summary>
    /// <c>PUT /v1/sys/leases/revoke</c> with <c>{"lease_id", "sync": true}</c>: 204. Vault answers a lease it no longer
    /// holds (already revoked, expired, never issued) with the same 204, so revoking is idempotent and safe to retry.
    /// </summary>
    public async Task RevokeLeaseAsync(string leaseId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseId);
        var body = JsonSerializer.SerializeToUtf8Bytes(new VaultLeaseRevokeRequest(leaseId, Sync: true), VaultJsonContext.Default.VaultLeaseRevokeRequest);
        var response = await SendAuthenticatedAsync(HttpMethod.Put, VaultPath.Join("sys", "leases", "revoke"), body, resendWhenUncertain: true, cancellationToken);
        EnsureSuccess(response);
    }

    /// <summary>
    /// <c>PUT /v1/sys/leases/lookup</c> with <c>{"lease_id"}</c>: the lease's expiry, or <see cref="VaultLeaseLookup.NotFound"/>
    /// when Vault answers 400 <c>invalid lease</c> (it holds no such lease: revoked, expired or never issued).
    /// </summary>
    public async Task<VaultLeaseLookup> LookupLeaseAsync(string leaseId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseId);
        var body = JsonSerializer.SerializeToUtf8Bytes(new VaultLeaseLookupRequest(leaseId), VaultJsonContext.Default.VaultLeaseLookupRequest);
        var response = await SendAuthenticatedAsync(HttpMethod.Put, VaultPath.Join("sys", "leases", "lookup"), body, resendWhenUncertain: true, cancellationToken);
        if (response.Status == (int)HttpStatusCode.BadRequest && ParseErrors(response).Contains("invalid lease", StringComparer.Ordinal))
        {
            return VaultLeaseLookup.NotFound;
        }

        var lease = Read(response, VaultJsonContext.Default.VaultLeaseLookupResponse);
        var expireTime = lease.Data is { } data ? data.ExpireTime : lease.ExpireTime;
        var ttl = lease.Data is { } d ? d.Ttl : lease.Ttl;
        return new VaultLeaseLookup(
            Exists: true,
            DateTimeOffset.TryParse(expireTime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null,
            TimeSpan.FromSeconds(Math.Max(0, ttl ?? 0)));
    }

    // ---- authentication -------------------------------------------------------------------------------------------

    private async Task<Response> SendAuthenticatedAsync(HttpMethod method, string path, byte[]? body, bool resendWhenUncertain, CancellationToken cancellationToken)
    {
        var (session, fresh) = await EnsureSessionAsync(cancellationToken);
        var response = await SendAsync(method, path, body, session.Token, resendWhenUncertain, cancellationToken);
        if (response.Status != (int)HttpStatusCode.Forbidden || fresh)
        {
            // A 403 to a token obtained for this very call is a policy refusal: logging in again would not change it.
            return response;
        }

        // The token was revoked, expired early or lost its policy: log in once more and try again, once.
        Log.Forbidden(_logger, _provider, method.Method, path);
        Invalidate(session);
        (session, _) = await EnsureSessionAsync(cancellationToken);
        return await SendAsync(method, path, body, session.Token, resendWhenUncertain, cancellationToken);
    }

    private async ValueTask<(Session Session, bool Fresh)> EnsureSessionAsync(CancellationToken cancellationToken)
    {
        Task<Session> refreshing;
        lock (_gate)
        {
            var current = _session;
            if (current is not null && (current.RefreshAt is null || _time.GetUtcNow() < current.RefreshAt))
            {
                return (current, false);
            }

            // One login at a time, whoever asks: concurrent calls share it (an AppRole secret id may have few uses).
            refreshing = _refreshing ??= Task.Run(() => RefreshAsync(current), CancellationToken.None);
        }

        return (await refreshing.WaitAsync(cancellationToken), true);
    }

    private async Task<Session> RefreshAsync(Session? stale)
    {
        // Not tied to one caller's cancellation: callers share it, and the pipeline's timeouts bound it.
        try
        {
            var session = await RenewOrLoginAsync(stale, CancellationToken.None);
            lock (_gate)
            {
                _session = session;
            }

            return session;
        }
        finally
        {
            lock (_gate)
            {
                _refreshing = null;
            }
        }
    }

    private async Task<Session> RenewOrLoginAsync(Session? stale, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var method = _options.Auth.Method;
        if (stale is { Renewable: true } && stale.ExpiresAt > now && string.Equals(method, "token", StringComparison.Ordinal))
        {
            try
            {
                var renewed = await RenewSelfAsync(stale.Token, cancellationToken);
                Log.TokenRenewed(_logger, _provider, renewed.LeaseDuration);
                return Session.From(renewed, now);
            }
            catch (VaultException e) when (e.Transient)
            {
                // Vault is busy, but the token still works until it expires: keep it and try again on the next call.
                Log.TokenRenewFailed(_logger, _provider, e.Message);
                return stale with { RefreshAt = now + TimeSpan.FromSeconds(Math.Min(30, (stale.ExpiresAt!.Value - now).TotalSeconds / 2)) };
            }
            catch (VaultException e)
            {
                Log.TokenRenewFailed(_logger, _provider, e.Message);
            }
        }

        try
        {
            var login = string.Equals(method, "approle", StringComparison.Ordinal)
                ? await LoginWithAppRoleAsync(
                    _options.Auth.Mount,
                    _options.Auth.RoleId!,
                    await ReadConfiguredAsync(_options.Auth.SecretId, _options.Auth.SecretIdFile, "SecretId", cancellationToken),
                    cancellationToken)
                : await LoginWithTokenAsync(cancellationToken);
            Log.LoggedIn(_logger, _provider, method, login.LeaseDuration, login.Renewable);
            return Session.From(login, now);
        }
        catch (VaultException e)
        {
            Log.LoginFailed(_logger, _provider, method, e.Message);
            throw;
        }
    }

    private void Invalidate(Session session)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_session, session))
            {
                _session = null;
            }
        }
    }

    private async Task<string> ReadConfiguredAsync(string? value, string? file, string setting, CancellationToken cancellationToken)
    {
        string secret;
        if (!string.IsNullOrEmpty(file))
        {
            try
            {
                secret = (await File.ReadAllTextAsync(file, cancellationToken)).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The path is configuration, not a secret; the exception's own message is left out all the same.
                throw new VaultException($"Vault {setting}File '{file}' could not be read ({e.GetType().Name}).", null, [], transient: true);
            }
        }
        else
        {
            secret = value?.Trim() ?? string.Empty;
        }

        if (secret.Length == 0 || !IsHeaderSafe(secret))
        {
            // Never quote the value: a malformed secret is still a secret.
            throw new VaultException($"The Vault {setting} is empty or not printable ASCII.", null, [], transient: false);
        }

        Remember(secret);
        return secret;
    }

    // ---- HTTP -----------------------------------------------------------------------------------------------------

    private async Task<Response> SendAsync(HttpMethod method, string path, byte[]? body, string? token, bool resendWhenUncertain, CancellationToken cancellationToken)
    {
        var call = $"{method.Method} /v1/{path}";
        using var request = new HttpRequestMessage(method, new Uri($"{_baseAddress}/v1/{path}", UriKind.Absolute));
        request.Headers.Add("X-Vault-Request", "true");
        if (token is not null)
        {
            request.Headers.Add("X-Vault-Token", token);
        }

        if (!string.IsNullOrEmpty(_options.Namespace))
        {
            request.Headers.Add("X-Vault-Namespace", _options.Namespace);
        }

        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        request.Options.Set(VaultHttp.Provider, _provider);
        request.Options.Set(VaultHttp.ResendWhenUncertain, resendWhenUncertain);

        try
        {
            using var response = await _httpClients.CreateClient(VaultHttp.ClientName).SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            var content = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            return new Response(call, (int)response.StatusCode, content);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (TimeoutRejectedException e)
        {
            Log.NoAnswer(_logger, _provider, call, "timed out");
            throw new VaultException($"Vault did not answer {call} within {_options.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.", null, [], transient: true, e);
        }
        catch (HttpRequestException e)
        {
            Log.NoAnswer(_logger, _provider, call, e.HttpRequestError.ToString());
            throw new VaultException($"Vault could not be reached for {call} ({e.HttpRequestError}).", null, [], transient: true, e);
        }
        catch (TaskCanceledException e)
        {
            Log.NoAnswer(_logger, _provider, call, "cancelled by the HTTP stack");
            throw new VaultException($"Vault did not answer {call}.", null, [], transient: true, e);
        }
    }

    private T Read<T>(Response response, JsonTypeInfo<T> shape)
    {
        EnsureSuccess(response);
        if (response.Status == (int)HttpStatusCode.NoContent || response.Body.Length == 0)
        {
            throw Unexpected(response, "an empty body");
        }

        try
        {
            return JsonSerializer.Deserialize(response.Body, shape) ?? throw Unexpected(response, "null");
        }
        catch (JsonException e)
        {
            throw Unexpected(response, "a body that is not the JSON the API documents", e);
        }
    }

    private void EnsureSuccess(Response response)
    {
        if (response.Status is >= 200 and < 300)
        {
            return;
        }

        var errors = ParseErrors(response);
        var transient = VaultHttp.IsTransient(response.Status);
        var said = errors.Count == 0 ? "no errors given" : string.Join("; ", errors);
        Log.Refused(_logger, _provider, response.Call, response.Status, said);
        throw new VaultException($"Vault answered {response.Status} to {response.Call}: {said}.", response.Status, errors, transient);
    }

    private List<string> ParseErrors(Response response)
    {
        if (response.Body.Length == 0)
        {
            return [];
        }

        try
        {
            var errors = JsonSerializer.Deserialize(response.Body, VaultJsonContext.Default.VaultErrorResponse)?.Errors ?? [];
            return [.. errors.Where(e => !string.IsNullOrEmpty(e)).Select(Redact)];
        }
        catch (JsonException)
        {
            // A proxy's HTML page, say: the status still tells what happened.
            return [];
        }
    }

    private VaultException Unexpected(Response response, string what, Exception? inner = null)
    {
        Log.Unexpected(_logger, _provider, response.Call, response.Status, what);
        return new VaultException($"Vault answered {response.Call} with {response.Status} and {what}.", response.Status, [], transient: false, inner);
    }

    private static void RequireName(string name)
    {
        if (!VaultPath.IsValid(name))
        {
            throw new ArgumentException("Not a valid Vault mount or role name.", nameof(name));
        }
    }

    private static bool IsHeaderSafe(string value) => value.Length <= 8192 && value.All(c => c is > ' ' and < '\u007f');

    private void Remember(string secret)
    {
        lock (_gate)
        {
            _secrets.Add(secret);
        }
    }

    private string Redact(string text)
    {
        lock (_gate)
        {
            foreach (var secret in _secrets)
            {
                text = text.Replace(secret, Redacted, StringComparison.Ordinal);
            }
        }

        return text;
    }

    private sealed record Response(string Call, int Status, byte[] Body);

    private sealed record Session(string Token, DateTimeOffset? RefreshAt, DateTimeOffset? ExpiresAt, bool Renewable)
    {
        public static Session From(VaultLogin login, DateTimeOffset now) =>
            login.LeaseDuration <= TimeSpan.Zero
                ? new Session(login.ClientToken, null, null, login.Renewable) // a token without a TTL never needs refreshing
                : new Session(login.ClientToken, now + (login.LeaseDuration * 2 / 3), now + login.LeaseDuration, login.Renewable);

        private bool PrintMembers(System.Text.StringBuilder builder)
        {
            builder.Append(CultureInfo.InvariantCulture, $"RefreshAt = {RefreshAt}, ExpiresAt = {ExpiresAt}, Renewable = {Renewable}");
            return true;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3100, EventName = "VaultLoggedIn", Level = LogLevel.Information,
            Message = "Logged in to Vault for provider {Provider} ({Method}): token TTL {Ttl}, renewable {Renewable}")]
        public static partial void LoggedIn(ILogger logger, string provider, string method, TimeSpan ttl, bool renewable);

        [LoggerMessage(EventId = 3101, EventName = "VaultLoginFailed", Level = LogLevel.Warning,
            Message = "Vault login for provider {Provider} ({Method}) failed: {Reason}")]
        public static partial void LoginFailed(ILogger logger, string provider, string method, string reason);

        [LoggerMessage(EventId = 3102, EventName = "VaultTokenRenewed", Level = LogLevel.Debug,
            Message = "Renewed the Vault token of provider {Provider}: TTL {Ttl}")]
        public static partial void TokenRenewed(ILogger logger, string provider, TimeSpan ttl);

        [LoggerMessage(EventId = 3103, EventName = "VaultTokenRenewFailed", Level = LogLevel.Warning,
            Message = "Could not renew the Vault token of provider {Provider}: {Reason}")]
        public static partial void TokenRenewFailed(ILogger logger, string provider, string reason);

        [LoggerMessage(EventId = 3104, EventName = "VaultForbidden", Level = LogLevel.Warning,
            Message = "Vault refused the token of provider {Provider} on {Method} /v1/{Path} (403): logging in again")]
        public static partial void Forbidden(ILogger logger, string provider, string method, string path);

        [LoggerMessage(EventId = 3105, EventName = "VaultRefused", Level = LogLevel.Warning,
            Message = "Vault answered {Status} to {Call} for provider {Provider}: {Errors}")]
        public static partial void Refused(ILogger logger, string provider, string call, int status, string errors);

        [LoggerMessage(EventId = 3106, EventName = "VaultNoAnswer", Level = LogLevel.Warning,
            Message = "No answer from Vault to {Call} for provider {Provider}: {Reason}")]
        public static partial void NoAnswer(ILogger logger, string provider, string call, string reason);

        [LoggerMessage(EventId = 3107, EventName = "VaultUnexpectedAnswer", Level = LogLevel.Warning,
            Message = "Vault answered {Call} for provider {Provider} with {Status} and {What}")]
        public static partial void Unexpected(ILogger logger, string provider, string call, int status, string what);
    }
}
