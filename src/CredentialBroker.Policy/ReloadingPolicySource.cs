using CredentialBroker.Abstractions.Policy;

using Microsoft.Extensions.Logging;

namespace CredentialBroker.Policy;

/// <summary>
/// The policy in force, reloaded when its files change. A reload compiles the whole policy first and only
/// then swaps it in with one reference write, so requests see the old version or the new one, never a
/// mixture. A broken file is rejected with its errors logged, and the previous policy stays in force.
/// Without a configured path the built-in policy applies and nothing is watched.
/// </summary>
public sealed partial class ReloadingPolicySource : IPolicySource, IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(250);

    private readonly string? _path;
    private readonly ILogger _logger;
    private readonly FileSystemWatcher? _watcher;
    private readonly ITimer? _debounce;
    private readonly Lock _reloading = new();
    private volatile CompiledPolicy _current;

    /// <summary>Loads the policy at <paramref name="path"/> (or the built-in one) and, with a path, watches it.</summary>
    /// <exception cref="PolicyLoadException">The initial policy is invalid: the broker must not start on it.</exception>
    public ReloadingPolicySource(string? path, TimeProvider time, ILogger<ReloadingPolicySource> logger)
    {
        ArgumentNullException.ThrowIfNull(time);
        _path = string.IsNullOrWhiteSpace(path) ? null : Path.GetFullPath(path);
        _logger = logger;
        _current = _path is null ? PolicyLoader.LoadBuiltIn(logger) : PolicyLoader.Load(_path, logger);
        LogLoaded(_logger, _current.Version, _current.Source, _current.RuleIds.Count);
        if (_path is null)
        {
            return;
        }

        _debounce = time.CreateTimer(_ => Reload(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var isDirectory = Directory.Exists(_path);
        _watcher = new FileSystemWatcher(isDirectory ? _path : Path.GetDirectoryName(_path)!)
        {
            Filter = isDirectory ? "*" : Path.GetFileName(_path),
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += OnChanged;
        _watcher.Created += OnChanged;
        _watcher.Deleted += OnChanged;
        _watcher.Renamed += OnChanged;
        _watcher.EnableRaisingEvents = true;
    }

    /// <summary>Raised after every reload attempt, successful or not.</summary>
    public event EventHandler<PolicyReloadedEventArgs>? Reloaded;

    /// <inheritdoc />
    public IPolicy Current => _current;

    /// <summary>The policy in force, with its source and rules.</summary>
    public CompiledPolicy CurrentPolicy => _current;

    /// <summary>The errors of the last rejected reload, if the last attempt failed.</summary>
    public IReadOnlyList<PolicyError> LastErrors { get; private set; } = [];

    /// <summary>Reloads now; on failure keeps the policy in force and returns the errors.</summary>
    public IReadOnlyList<PolicyError> Reload()
    {
        if (_path is null)
        {
            return [];
        }

        lock (_reloading)
        {
            IReadOnlyList<PolicyError> errors;
            try
            {
                var next = PolicyLoader.Load(_path, _logger);
                if (next.Version != _current.Version)
                {
                    _current = next;
                    LogLoaded(_logger, next.Version, next.Source, next.RuleIds.Count);
                }

                errors = [];
            }
            catch (PolicyLoadException ex)
            {
                errors = ex.Errors.Count > 0 ? ex.Errors : [new PolicyError(_path, "policy", ex.Message)];
                LogRejected(_logger, _current.Version, string.Join("; ", errors));
            }

            LastErrors = errors;
            Reloaded?.Invoke(this, new PolicyReloadedEventArgs(_current.Version, errors));
            return errors;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _watcher?.Dispose();
        _debounce?.Dispose();
    }

    // Editors write a file in several steps; reload once the burst is over.
    private void OnChanged(object sender, FileSystemEventArgs e)
    {
        if (!PolicyLoader.IsTestFile(e.Name ?? string.Empty))
        {
            _debounce?.Change(Debounce, Timeout.InfiniteTimeSpan);
        }
    }

    [LoggerMessage(EventId = 1801, EventName = "PolicyLoaded", Level = LogLevel.Information,
        Message = "Policy {Version} from {Source} is in force ({Rules} rules)")]
    private static partial void LogLoaded(ILogger logger, string version, string source, int rules);

    [LoggerMessage(EventId = 1802, EventName = "PolicyRejected", Level = LogLevel.Error,
        Message = "Rejected a policy change; {Version} stays in force. Problems: {Errors}")]
    private static partial void LogRejected(ILogger logger, string version, string errors);
}
