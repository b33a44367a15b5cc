using System.Security.Cryptography;
using System.Text;
using Cel;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace CredentialBroker.Policy;

/// <summary>
/// Loads policy documents (YAML) and compiles their CEL conditions. Every problem in every file is
/// collected — YAML syntax with line and column, unknown keys, duplicate rule ids, bad effects, CEL that
/// does not compile, conditions that reference inputs that do not exist or do not yield a boolean,
/// conflicting data classes — and reported at once; a policy with any problem is rejected whole.
/// </summary>
public static class PolicyLoader
{
    /// <summary>The name under which the built-in policy reports itself.</summary>
    public const string BuiltInSource = "built-in";

    private static readonly IDeserializer Yaml = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .WithDuplicateKeyChecking()
        .Build();

    /// <summary>Whether <paramref name="fileName"/> is a policy test file rather than a policy document.</summary>
    public static bool IsTestFile(string fileName) =>
        fileName.EndsWith("_test.yaml", StringComparison.Ordinal) || fileName.EndsWith("_test.yml", StringComparison.Ordinal);

    /// <summary>Loads a policy file, or every <c>*.yaml</c>/<c>*.yml</c> file (except <c>*_test.yaml</c>) of a directory.</summary>
    /// <exception cref="PolicyLoadException">The path holds no policy, or the policy has problems.</exception>
    public static CompiledPolicy Load(string path, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        IReadOnlyList<string> files;
        if (Directory.Exists(path))
        {
            files = [.. Directory.EnumerateFiles(path)
                .Where(f => (f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)) && !IsTestFile(f))
                .Order(StringComparer.Ordinal)];
        }
        else if (File.Exists(path))
        {
            files = [path];
        }
        else
        {
            throw new PolicyLoadException($"No policy file or directory at '{path}'.");
        }

        if (files.Count == 0)
        {
            throw new PolicyLoadException($"The directory '{path}' holds no policy document (*.yaml).");
        }

        var documents = new List<(string Name, string Text)>();
        foreach (var file in files)
        {
            try
            {
                documents.Add((Path.GetFileName(file), File.ReadAllText(file)));
            }
            catch (IOException ex)
            {
                throw new PolicyLoadException($"Cannot read '{file}': {ex.Message}", ex);
            }
        }

        return Compile(documents, Path.GetFullPath(path), logger);
    }

    /// <summary>The built-in policy (see <c>default-policy.yaml</c>).</summary>
    public static CompiledPolicy LoadBuiltIn(ILogger? logger = null)
    {
        using var stream = typeof(PolicyLoader).Assembly.GetManifestResourceStream("CredentialBroker.Policy.default-policy.yaml")
            ?? throw new InvalidOperationException("The built-in policy is not embedded.");
        using var reader = new StreamReader(stream);
        return Compile([("default-policy.yaml", reader.ReadToEnd())], BuiltInSource, logger);
    }

    /// <summary>Compiles named policy documents into one policy; the version is a hash over names and contents.</summary>
    /// <exception cref="PolicyLoadException">The documents have problems.</exception>
    public static CompiledPolicy Compile(IReadOnlyList<(string Name, string Text)> documents, string source, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var errors = new List<PolicyError>();
        var rules = new List<CompiledRule>();
        var ruleIds = new HashSet<string>(StringComparer.Ordinal);
        var dataClasses = new Dictionary<string, (string Class, string File)>(StringComparer.Ordinal);
        StateRevocation? stateRevocation = null;
        string? stateRevocationFile = null;
        var environment = new CelEnvironment(null, string.Empty);
        var sample = CelInput.From(CelInput.Sample(), "internal");

        foreach (var (name, text) in documents)
        {
            PolicyDocument? document;
            try
            {
                document = Yaml.Deserialize<PolicyDocument?>(text);
            }
            catch (YamlException ex)
            {
                errors.Add(new PolicyError(name, $"line {ex.Start.Line}, column {ex.Start.Column}", Innermost(ex).Message));
                continue;
            }

            if (document is null)
            {
                errors.Add(new PolicyError(name, "document", "the file is empty"));
                continue;
            }

            foreach (var (destination, dataClass) in document.DataClasses ?? [])
            {
                if (string.IsNullOrWhiteSpace(dataClass))
                {
                    errors.Add(new PolicyError(name, $"dataClasses.{destination}", "the class is empty"));
                }
                else if (dataClasses.TryGetValue(destination, out var earlier) && earlier.Class != dataClass)
                {
                    errors.Add(new PolicyError(name, $"dataClasses.{destination}", $"'{dataClass}' contradicts '{earlier.Class}' in {earlier.File}"));
                }
                else
                {
                    dataClasses[destination] = (dataClass, name);
                }
            }

            if (document.StateRevocation is not null)
            {
                // Compiled wherever it appears, so every mistake is reported; the first definition counts.
                var table = CompileStateRevocation(document.StateRevocation, name, errors);
                if (stateRevocationFile is not null)
                {
                    errors.Add(new PolicyError(name, "stateRevocation", $"already defined in {stateRevocationFile}; define it in one file"));
                }
                else
                {
                    (stateRevocation, stateRevocationFile) = (table, name);
                }
            }

            var index = 0;
            foreach (var rule in document.Rules ?? [])
            {
                var where = rule.Id is { Length: > 0 } ? $"rule {rule.Id}" : $"rules[{index}]";
                index++;
                if (CompileRule(rule, where, name, environment, sample, errors, ruleIds) is { } compiled)
                {
                    rules.Add(compiled);
                }
            }
        }

        var revocationTable = stateRevocation ?? StateRevocation.Default;

        if (errors.Count == 0 && rules.Count == 0)
        {
            errors.Add(new PolicyError(documents.Count == 1 ? documents[0].Name : source, "rules", "the policy has no rule, so it would deny everything"));
        }

        if (errors.Count > 0)
        {
            throw new PolicyLoadException(errors);
        }

        return new CompiledPolicy(Version(documents), source, rules, dataClasses.ToDictionary(d => d.Key, d => d.Value.Class, StringComparer.Ordinal), revocationTable, logger ?? NullLogger.Instance);
    }

    private static StateRevocation CompileStateRevocation(StateRevocationDocument document, string file, List<PolicyError> errors)
    {
        Dictionary<TaskState, IReadOnlyCollection<CredentialKind>> Table(Dictionary<string, List<string>>? entries, string where)
        {
            var table = new Dictionary<TaskState, IReadOnlyCollection<CredentialKind>>();
            foreach (var (stateName, kindNames) in entries ?? [])
            {
                if (!TaskStateMachine.TryParseWireName(stateName, out var state) || state == TaskState.Created)
                {
                    errors.Add(new PolicyError(file, $"{where}.{stateName}", "not a state a task can enter: running, paused or awaiting_approval"));
                    continue;
                }

                if (TaskStateMachine.IsTerminal(state))
                {
                    errors.Add(new PolicyError(file, $"{where}.{stateName}", "terminal states always revoke everything; they cannot be configured"));
                    continue;
                }

                var kinds = new List<CredentialKind>();
                foreach (var kindName in kindNames ?? [])
                {
                    if (CredentialKinds.TryParseWireName(kindName, out var kind))
                    {
                        kinds.Add(kind);
                    }
                    else
                    {
                        errors.Add(new PolicyError(file, $"{where}.{stateName}", $"unknown credential kind '{kindName}' (task, delegated, access_token, secret)"));
                    }
                }

                table[state] = kinds;
            }

            return table;
        }

        var defaults = document.Default is null ? null : Table(document.Default, "stateRevocation.default");
        var workflows = new Dictionary<string, IReadOnlyDictionary<TaskState, IReadOnlyCollection<CredentialKind>>>(StringComparer.Ordinal);
        foreach (var (workflow, entries) in document.Workflows ?? [])
        {
            workflows[workflow] = Table(entries, $"stateRevocation.workflows.{workflow}");
        }

        return new StateRevocation(
            defaults ?? new Dictionary<TaskState, IReadOnlyCollection<CredentialKind>>
            {
                [TaskState.Paused] = StateRevocation.Default.RevokedOnEntering(string.Empty, TaskState.Paused),
                [TaskState.AwaitingApproval] = StateRevocation.Default.RevokedOnEntering(string.Empty, TaskState.AwaitingApproval),
            },
            workflows);
    }

    private static CompiledRule? CompileRule(
        PolicyRuleDocument rule, string where, string file, CelEnvironment environment, Dictionary<string, object?> sample, List<PolicyError> errors, HashSet<string> ruleIds)
    {
        var before = errors.Count;
        if (string.IsNullOrWhiteSpace(rule.Id))
        {
            errors.Add(new PolicyError(file, where, "'id' is required"));
        }
        else if (rule.Id.Length > 128 || rule.Id.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c == ','))
        {
            errors.Add(new PolicyError(file, where, "the id must be at most 128 characters without spaces, commas or control characters (it is recorded with every credential it allows)"));
        }
        else if (!ruleIds.Add(rule.Id))
        {
            errors.Add(new PolicyError(file, where, "the id is used by another rule"));
        }

        PolicyEffect effect = default;
        if (rule.Effect is not ("allow" or "deny" or "limit"))
        {
            errors.Add(new PolicyError(file, where, "'effect' must be allow, deny or limit"));
        }
        else
        {
            effect = rule.Effect switch { "allow" => PolicyEffect.Allow, "deny" => PolicyEffect.Deny, _ => PolicyEffect.Limit };
        }

        if (rule.MaxTtlSeconds is { } ttl && ttl <= 0)
        {
            errors.Add(new PolicyError(file, where, "'maxTtlSeconds' must be positive"));
        }

        if (effect == PolicyEffect.Limit && rule.MaxTtlSeconds is null)
        {
            errors.Add(new PolicyError(file, where, "a limit rule needs 'maxTtlSeconds'"));
        }

        if (effect == PolicyEffect.Deny && rule.MaxTtlSeconds is not null)
        {
            errors.Add(new PolicyError(file, where, "a deny rule takes no 'maxTtlSeconds'"));
        }

        HashSet<PolicyOperation>? operations = null;
        foreach (var operation in rule.Operations ?? [])
        {
            operations ??= [];
            if (CelInput.TryParseOperation(operation, out var parsed))
            {
                operations.Add(parsed);
            }
            else
            {
                errors.Add(new PolicyError(file, where, $"unknown operation '{operation}' (create_task, exchange, delegate, continue)"));
            }
        }

        CelProgramDelegate? condition = null;
        if (string.IsNullOrWhiteSpace(rule.Condition))
        {
            errors.Add(new PolicyError(file, where, "'condition' is required (a CEL expression; \"true\" matches everything)"));
        }
        else
        {
            try
            {
                condition = environment.Compile(rule.Condition);
            }
            catch (Exception ex) when (ex is CelException or InvalidOperationException or ArgumentException)
            {
                errors.Add(new PolicyError(file, where, $"the condition does not compile: {ex.Message}"));
            }
        }

        if (condition is not null)
        {
            // A dry run against an input where every member is present finds misspelt names and non-boolean conditions.
            try
            {
                if (condition(sample) is not bool)
                {
                    errors.Add(new PolicyError(file, where, "the condition does not evaluate to a boolean"));
                }
            }
            catch (Exception ex) when (ex is CelUndeclaredReferenceException or CelNoSuchFieldException or CelNoSuchOverloadException or CelUnboundFunctionException)
            {
                errors.Add(new PolicyError(file, where, $"the condition refers to something that does not exist: {ex.Message}"));
            }
            catch (CelException)
            {
                // Other runtime errors (division by zero, index out of range) depend on real inputs; evaluation guards them.
            }
        }

        return errors.Count > before
            ? null
            : new CompiledRule(rule.Id!, rule.Description, effect, operations, rule.Condition!, condition!, rule.MaxTtlSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
    }

    private static string Version(IReadOnlyList<(string Name, string Text)> documents)
    {
        var text = string.Concat(documents.OrderBy(d => d.Name, StringComparer.Ordinal).Select(d => d.Name + "\n" + d.Text + "\n"));
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }

    private static Exception Innermost(Exception ex) => ex.InnerException is null ? ex : Innermost(ex.InnerException);
}
