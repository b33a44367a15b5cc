using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;
using CredentialBroker.Downstream.Providers;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CredentialBroker.Downstream.RedisAcl;

/// <summary>
/// Issues a Redis ACL user per secret and deletes it on revocation, on every node: ACLs are per node, so on a Redis
/// Cluster every primary and every replica gets the user (an agent may be sent to any of them) and loses it. The
/// password never reaches Redis: the user is given its SHA-256 (<c>#&lt;hash&gt;</c>), so it cannot show up in
/// <c>MONITOR</c>, the slow log or an error reply. Commands are listed in docs/backends.md.
/// </summary>
internal sealed partial class RedisAclSecretProvider : ISecretProvider, IAsyncDisposable, IDisposable
{
    private static readonly string[] RetryableErrors = ["LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN"];

    private readonly ConfigurationOptions _configuration;
    private readonly string[] _rules;
    private readonly ILogger _logger;
    private readonly Func<string> _newPassword;
    private readonly Lock _gate = new();
    private readonly List<ConnectionMultiplexer> _retired = [];
    private Task<NodeConnection>? _connecting;

    /// <param name="name">The configured provider name.</param>
    /// <param name="options">Settings that passed <see cref="RedisAclProviderKind.Validate"/>.</param>
    /// <param name="logger">Where issue and revocation are logged (user names and record ids, never a password).</param>
    /// <param name="newPassword">The password generator; tests wrap the real one to learn the passwords it made.</param>
    public RedisAclSecretProvider(string name, ProviderOptions options, ILogger<RedisAclSecretProvider> logger, Func<string>? newPassword = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Name = name;
        Resource = options.Resource ?? throw new ArgumentException("Resource is required.", nameof(options));
        MaxTtl = options.MaxTtl;
        _configuration = ConfigurationOptions.Parse(options.ConnectionString!);
        _configuration.AbortOnConnectFail = false;
        _configuration.BacklogPolicy = BacklogPolicy.FailFast;
        _configuration.ClientName ??= "credentialbroker-downstream";
        // CLIENT KILL is an admin command to StackExchange.Redis.
        _configuration.AllowAdmin = true;
        // The admin user needs no key or channel access: no tie-breaker key read, no configuration channel.
        _configuration.TieBreaker = string.Empty;
        _configuration.ConfigurationChannel = string.Empty;
        _rules = RedisAclRules.Tokens(options.Acl!);
        _logger = logger;
        _newPassword = newPassword ?? GeneratedCredentials.NewPassword;
        Target = string.Join(",", _configuration.EndPoints.Select(EndPointCollection.ToString));
    }

    public string Name { get; }

    public string Kind => RedisAclProviderKind.Name;

    public string Resource { get; }

    public TimeSpan MaxTtl { get; }

    /// <summary>The configured endpoints (never the password).</summary>
    public string Target { get; }

    public SecretHandle Plan(string id, DateTimeOffset expiresAt) => new(id, Name, GeneratedCredentials.NewUsername(), null, expiresAt);

    public async ValueTask<IssuedSecret> IssueAsync(SecretHandle plan, CancellationToken cancellationToken)
    {
        var username = CheckHandle(plan, "issue");
        var password = _newPassword();
        var hash = PasswordHash(password);
        IServer[] nodes = [];
        try
        {
            nodes = await ReachableNodesAsync(cancellationToken);
            object[] setUser = ["SETUSER", username, "reset", "resetchannels", "on", "#" + hash, .. _rules, .. RedisAclRules.Always];
            await Task.WhenAll(nodes.Select(node => node.ExecuteAsync("ACL", setUser))).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (IsBackendFailure(ex, cancellationToken))
        {
            // Leave nothing half-issued: a user on some nodes only is a secret nobody was given.
            await DeleteQuietlyAsync(nodes, username);
            throw Failure("issue", plan, ex, password, hash);
        }

        var primaries = nodes.Where(n => !n.IsReplica).Select(n => Format(n.EndPoint)).Order(StringComparer.Ordinal).ToArray();
        LogUserIssued(_logger, Name, plan.Id, username, nodes.Length);
        return new IssuedSecret(plan, password, new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["endpoints"] = primaries,
            ["username"] = username,
            ["password"] = password,
        });
    }

    public async ValueTask RevokeAsync(SecretHandle handle, CancellationToken cancellationToken)
    {
        var username = CheckHandle(handle, "revoke");
        IServer[] nodes;
        try
        {
            nodes = await KnownNodesAsync(cancellationToken);
        }
        catch (Exception ex) when (IsBackendFailure(ex, cancellationToken))
        {
            throw Failure("revoke", handle, ex);
        }

        // Every reachable node first, then report the ones that failed: the user dies wherever it can at once.
        var failures = new List<Exception>();
        await Task.WhenAll(nodes.Select(async node =>
        {
            try
            {
                await node.ExecuteAsync("ACL", "DELUSER", username).WaitAsync(cancellationToken);
                await KillClientsAsync(node, username, cancellationToken);
            }
            catch (Exception ex) when (IsBackendFailure(ex, cancellationToken))
            {
                lock (failures)
                {
                    failures.Add(ex);
                }
            }
        }));
        if (failures.Count > 0)
        {
            throw Failure("revoke", handle, failures[0], failedNodes: failures.Count, nodes: nodes.Length);
        }

        LogUserRevoked(_logger, Name, handle.Id, username, nodes.Length);
    }

    public async ValueTask<bool> VerifyRevokedAsync(SecretHandle handle, CancellationToken cancellationToken)
    {
        var username = CheckHandle(handle, "verify");
        try
        {
            var nodes = await ReachableNodesAsync(cancellationToken);
            foreach (var node in nodes)
            {
                if (!(await node.ExecuteAsync("ACL", "GETUSER", username).WaitAsync(cancellationToken)).IsNull)
                {
                    LogRevocationUnverified(_logger, Name, handle.Id, username, $"the user still exists on {Format(node.EndPoint)}");
                    return false;
                }
            }

            foreach (var node in nodes)
            {
                var verdict = await RespAuthProbe.AuthenticateAsync(node.EndPoint, username, GeneratedCredentials.NewPassword(), _configuration, cancellationToken);
                if (verdict != RespAuthProbe.Verdict.Refused)
                {
                    LogRevocationUnverified(_logger, Name, handle.Id, username, $"AUTH as the user succeeded on {Format(node.EndPoint)}");
                    return false;
                }
            }
        }
        catch (Exception ex) when (IsBackendFailure(ex, cancellationToken))
        {
            throw Failure("verify", handle, ex);
        }

        return true;
    }

    public ProviderDescription Describe() => new(Name, Kind, Resource, Target, string.Join(' ', [.. _rules, .. RedisAclRules.Always]));

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in TakeConnections())
        {
            await connection.DisposeAsync();
        }
    }

    public void Dispose()
    {
        foreach (var connection in TakeConnections())
        {
            connection.Dispose();
        }
    }

    /// <summary>The SHA-256 of the password in hex, as <c>ACL SETUSER … #&lt;hash&gt;</c> takes it.</summary>
    internal static string PasswordHash(string password) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(password)));

    private static string Format(EndPoint endpoint) => EndPointCollection.ToString(endpoint);

    private List<ConnectionMultiplexer> TakeConnections()
    {
        lock (_gate)
        {
            var connections = _retired.ToList();
            if (_connecting is { IsCompletedSuccessfully: true })
            {
                connections.Add(_connecting.Result.Multiplexer);
            }

            _connecting = null;
            _retired.Clear();
            return connections;
        }
    }

    private Task<NodeConnection> ConnectAsync()
    {
        lock (_gate)
        {
            if (_connecting is null || _connecting.IsFaulted || _connecting.IsCanceled)
            {
                _connecting = ConnectToEveryNodeAsync();
            }

            return _connecting;
        }
    }

    /// <summary>Sets <paramref name="stale"/> aside (it may still be in use) so that the next call connects afresh.</summary>
    private void Retire(NodeConnection stale)
    {
        lock (_gate)
        {
            if (_connecting is { IsCompletedSuccessfully: true } current && ReferenceEquals(current.Result, stale))
            {
                _connecting = null;
                _retired.Add(stale.Multiplexer);
            }
        }
    }

    /// <summary>
    /// Connects to every node. StackExchange.Redis connects only to the cluster nodes it discovered that serve slots,
    /// so a replica still syncing, or a primary without slots, would be left out, yet an agent can log in there; it
    /// always connects to the endpoints it is given, so on a cluster every node <c>CLUSTER NODES</c> lists is named.
    /// Then the nodes get up to the connect timeout to finish connecting, so the first secret is not refused for that.
    /// </summary>
    private async Task<NodeConnection> ConnectToEveryNodeAsync()
    {
        var named = _configuration.EndPoints.Select(Format).ToHashSet(StringComparer.Ordinal);
        var connection = await ConnectionMultiplexer.ConnectAsync(_configuration);
        if (await TopologyAsync(connection) is { } topology && !topology.IsSubsetOf(named))
        {
            var everyNode = _configuration.Clone();
            foreach (var endpoint in topology.Except(named))
            {
                everyNode.EndPoints.Add(endpoint);
            }

            named.UnionWith(topology);
            await connection.DisposeAsync();
            connection = await ConnectionMultiplexer.ConnectAsync(everyNode);
        }

        using var settling = new CancellationTokenSource(TimeSpan.FromMilliseconds(_configuration.ConnectTimeout));
        try
        {
            while (connection.GetServers().Any(n => !n.IsConnected))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), settling.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Some node is down: each operation reports it.
        }

        return new NodeConnection(connection, named);
    }

    /// <summary>The endpoints of every node of the cluster (<c>CLUSTER NODES</c>), or null when not a cluster or when it cannot be read (yet).</summary>
    private static async Task<HashSet<string>?> TopologyAsync(ConnectionMultiplexer connection)
    {
        if (connection.GetServers().FirstOrDefault(n => n.IsConnected && n.ServerType == ServerType.Cluster) is not { } seed)
        {
            return null;
        }

        try
        {
            return (await seed.ClusterNodesAsync())?.Nodes
                .Where(n => n is { IsNoAddr: false, IsHandshake: false, EndPoint: not null })
                .Select(n => Format(n.EndPoint!))
                .ToHashSet(StringComparer.Ordinal);
        }
        catch (RedisException)
        {
            // Reported by the operation that needs it (a NOPERM names the missing permission).
            return null;
        }
    }

    /// <summary>
    /// Every node the connection knows of (on a cluster: every primary and replica), after checking with the cluster
    /// itself (<c>CLUSTER NODES</c>) that none is missing: the client's view can lag behind a node just added, and
    /// acting on part of a cluster is not acting on it. A node missing that way makes the next call connect afresh.
    /// </summary>
    private async Task<IServer[]> KnownNodesAsync(CancellationToken cancellationToken)
    {
        var connection = await ConnectAsync().WaitAsync(cancellationToken);
        var nodes = connection.Multiplexer.GetServers();
        if (nodes.Length == 0)
        {
            throw new IOException("no Redis node is known yet.");
        }

        if (nodes.FirstOrDefault(n => n.IsConnected && n.ServerType == ServerType.Cluster) is { } seed)
        {
            var topology = await seed.ClusterNodesAsync().WaitAsync(cancellationToken)
                ?? throw new IOException($"{Format(seed.EndPoint)} returned no cluster topology.");
            var connected = nodes.Where(n => n.IsConnected).Select(n => Format(n.EndPoint)).ToHashSet(StringComparer.Ordinal);
            var missing = topology.Nodes
                .Where(n => n is { IsNoAddr: false, IsHandshake: false, EndPoint: not null })
                .Select(n => Format(n.EndPoint!))
                .Where(e => !connected.Contains(e) && !connection.Named.Contains(e))
                .ToArray();
            if (missing.Length > 0)
            {
                Retire(connection);
                throw new IOException($"the cluster has node(s) not reached yet: {string.Join(", ", missing)}.");
            }
        }

        return nodes;
    }

    /// <summary>Every node, all of them connected: issuing or verifying on part of a deployment would say too little.</summary>
    private async Task<IServer[]> ReachableNodesAsync(CancellationToken cancellationToken)
    {
        var nodes = await KnownNodesAsync(cancellationToken);
        var down = nodes.Where(n => !n.IsConnected).Select(n => Format(n.EndPoint)).ToArray();
        return down.Length == 0
            ? nodes
            : throw new IOException($"{down.Length} of {nodes.Length} node(s) unreachable: {string.Join(", ", down)}.");
    }

    private static async Task KillClientsAsync(IServer node, string username, CancellationToken cancellationToken)
    {
        try
        {
            await node.ExecuteAsync("CLIENT", "KILL", "USER", username).WaitAsync(cancellationToken);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("No such user", StringComparison.Ordinal))
        {
            // Redis 6.2+ closes a deleted user's connections in ACL DELUSER itself; then the user is unknown here.
        }
    }

    private static async Task DeleteQuietlyAsync(IServer[] nodes, string username)
    {
        foreach (var node in nodes)
        {
            try
            {
                await node.ExecuteAsync("ACL", "DELUSER", username);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // The revoker's revocation of the plan removes it later.
            }
        }
    }

    private string CheckHandle(SecretHandle handle, string operation)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!string.Equals(handle.Provider, Name, StringComparison.Ordinal) || !GeneratedCredentials.IsGeneratedUsername(handle.Username))
        {
            throw new DownstreamException($"Redis provider {Name}: refusing to {operation} {handle.Id}: its record does not name a user this provider generates.");
        }

        return handle.Username!;
    }

    private static bool IsBackendFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is RedisException or TimeoutException or IOException or SocketException or AuthenticationException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>A safe exception for a failed call: where, what and why, never a password, its hash or the configuration string.</summary>
    private DownstreamException Failure(string operation, SecretHandle handle, Exception ex, string? password = null, string? hash = null, int failedNodes = 0, int nodes = 0)
    {
        var transient = ex is not RedisServerException server
            || RetryableErrors.Any(code => server.Message.StartsWith(code, StringComparison.Ordinal));
        var reason = ex.Message.ReplaceLineEndings(" ");
        if (reason.Length > 300)
        {
            reason = reason[..300] + "…";
        }

        var where = failedNodes > 0 ? $" on {failedNodes} of {nodes} node(s)" : string.Empty;
        var message = Scrub($"Redis {Target}: could not {operation} user {handle.Username} for {handle.Id}{where}: {reason}", password, hash);
        LogFailed(_logger, Name, operation, handle.Id, transient, message);
        return new DownstreamException(message) { Transient = transient };
    }

    private string Scrub(string text, string? password, string? hash)
    {
        foreach (var secret in (string?[])[password, hash, _configuration.Password])
        {
            if (!string.IsNullOrEmpty(secret))
            {
                text = text.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return text;
    }

    [LoggerMessage(EventId = 3060, EventName = "RedisAclUserIssued", Level = LogLevel.Information,
        Message = "Provider {Provider} issued Redis ACL user {Username} for {Id} on {Nodes} node(s)")]
    private static partial void LogUserIssued(ILogger logger, string provider, string id, string username, int nodes);

    [LoggerMessage(EventId = 3061, EventName = "RedisAclUserRevoked", Level = LogLevel.Information,
        Message = "Provider {Provider} revoked Redis ACL user {Username} for {Id} on {Nodes} node(s) and closed its connections")]
    private static partial void LogUserRevoked(ILogger logger, string provider, string id, string username, int nodes);

    [LoggerMessage(EventId = 3062, EventName = "RedisAclRevocationUnverified", Level = LogLevel.Warning,
        Message = "Provider {Provider}: Redis ACL user {Username} for {Id} is not yet dead: {Reason}")]
    private static partial void LogRevocationUnverified(ILogger logger, string provider, string id, string username, string reason);

    [LoggerMessage(EventId = 3063, EventName = "RedisAclCallFailed", Level = LogLevel.Warning,
        Message = "Provider {Provider}: {Operation} of {Id} failed (transient: {Transient}): {Reason}")]
    private static partial void LogFailed(ILogger logger, string provider, string operation, string id, bool transient, string reason);

    /// <summary>A connection and the endpoints it was given by name (those StackExchange.Redis always connects to).</summary>
    private sealed record NodeConnection(ConnectionMultiplexer Multiplexer, HashSet<string> Named);
}
