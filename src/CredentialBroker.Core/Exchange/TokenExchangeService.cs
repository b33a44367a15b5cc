using System.Text.Json.Nodes;
using CredentialBroker.Abstractions.Audit;
using System.Threading.RateLimiting;
using CredentialBroker.Abstractions;
using CredentialBroker.Abstractions.Identity;
using CredentialBroker.Abstractions.Policy;
using CredentialBroker.Abstractions.Revocation;
using CredentialBroker.Abstractions.Secrets;
using CredentialBroker.Abstractions.Soc;
using CredentialBroker.Abstractions.Storage;
using CredentialBroker.Abstractions.Tasks;
using CredentialBroker.Core;
using CredentialBroker.Core.Identity;
using CredentialBroker.Core.Issuance;
using CredentialBroker.Core.ProofOfPossession;
using CredentialBroker.Core.Tasks;
using CredentialBroker.Core.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CredentialBroker.Core.Exchange;

/// <summary>
/// RFC 8693 token exchange. An agent trades its task token for a downstream access token (one audience,
/// RFC 9068) or for a delegated task token bound to a sub-agent. Every derived credential can only narrow:
/// grants ⊆ the subject's, expiry ≤ the subject's, depth ≤ the task's limit. Policy decides every grant;
/// the derived credential is recorded under its parent, atomically refused if the parent was revoked in
/// the meantime, and only then signed. A key-bound subject token is used only with proof of its key; an access
/// token is bound to the key the request proved (a DPoP key, else the caller's X.509-SVID over mutual TLS). A
/// delegation names its sub-agent without handing over the sub-agent's credential, and only to a workload the task's
/// <c>mayAct</c> names.
/// </summary>
public sealed partial class TokenExchangeService
{
    /// <summary>
    /// The key of the optional keyed <see cref="PartitionedRateLimiter{TResource}"/> (partitioned by task id) that meters how
    /// fast one task's credentials are exchanged, whoever presents them. It is consulted once the subject token is verified,
    /// so a forged token cannot spend another task's budget.
    /// </summary>
    public const string TaskRateLimiterKey = "credentialbroker.exchange.task";

    /// <summary>Task states in which new derived credentials may be minted.</summary>
    public static readonly IReadOnlyList<TaskState> OpenStates = [TaskState.Created, TaskState.Running];

    private static readonly string[] SubjectTypes = [TokenTypes.Task];
    private static readonly string[] TransactionSubjectTypes = [TokenTypes.TxnToken];

    /// <summary>The most workloads a transaction token's <c>req_wl</c> names: the first requester and its replacements' requesters.</summary>
    public const int MaxTransactionRequesters = 16;

    private readonly BrokerTokenValidator _tokens;
    private readonly JwtSvidValidator _svids;
    private readonly RoleMap _roles;
    private readonly ICredentialStore _store;
    private readonly IAuditLog _audit;
    private readonly IRiskRegistry _risk;
    private readonly IPolicySource _policy;
    private readonly TokenFactory _factory;
    private readonly IRevocationRules _rules;
    private readonly ISecretIssuer? _secrets;
    private readonly IRevocationSignal _signal;
    private readonly CredentialBrokerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TokenExchangeService> _logger;
    private readonly PartitionedRateLimiter<string>? _perTask;

    /// <summary>Creates the service.</summary>
    public TokenExchangeService(
        BrokerTokenValidator tokens,
        JwtSvidValidator svids,
        RoleMap roles,
        ICredentialStore store,
        IAuditLog audit,
        IRiskRegistry risk,
        IPolicySource policy,
        TokenFactory factory,
        IRevocationRules rules,
        IRevocationSignal signal,
        IOptions<CredentialBrokerOptions> options,
        [FromKeyedServices(BrokerTime.ServiceKey)] TimeProvider time,
        ILogger<TokenExchangeService> logger,
        ISecretIssuer? secrets = null,
        [FromKeyedServices(TaskRateLimiterKey)] PartitionedRateLimiter<string>? perTask = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _tokens = tokens;
        _svids = svids;
        _roles = roles;
        _store = store;
        _audit = audit;
        _risk = risk;
        _policy = policy;
        _factory = factory;
        _rules = rules;
        _signal = signal;
        _secrets = secrets;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _perTask = perTask;
    }

    /// <summary>Exchanges <see cref="ExchangeRequest.SubjectToken"/> for <paramref name="caller"/>.</summary>
    /// <exception cref="StoreUnavailableException">The store did not answer; nothing was issued.</exception>
    public async ValueTask<ExchangeResult> ExchangeAsync(CallerIdentity caller, ExchangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);

        // The span names what the broker verified (ids, never the subject or actor token); the deeper steps add the task,
        // the subject jti and the issued credential as they learn them.
        using var activity = BrokerTelemetry.Source.StartActivity(BrokerTelemetry.TokenExchangeSpan);
        activity?.SetTag(BrokerTelemetryTags.Caller, caller.Id.Value).SetTag(BrokerTelemetryTags.CredentialKind, request.Requested switch
        {
            RequestedToken.DelegatedTask => CredentialKinds.ToWireName(CredentialKind.Delegated),
            RequestedToken.Secret => CredentialKinds.ToWireName(CredentialKind.Secret),
            RequestedToken.TransactionToken => CredentialKinds.ToWireName(CredentialKind.TxnToken),
            _ => CredentialKinds.ToWireName(CredentialKind.AccessToken),
        });
        try
        {
            var result = await AuditedExchangeAsync(caller, request, cancellationToken);
            activity?.SetTag(BrokerTelemetryTags.Outcome, result.Succeeded ? "issued" : result.Code);
            return result;
        }
        catch (Exception ex)
        {
            BrokerTelemetry.Failed(activity, ex);
            throw;
        }
    }

    // Every refusal is appended to the boundary log, whatever step refused it.
    private async ValueTask<ExchangeResult> AuditedExchangeAsync(CallerIdentity caller, ExchangeRequest request, CancellationToken cancellationToken)
    {
        var trail = new Trail();
        Current.Value = trail;
        var result = await ExchangeCoreAsync(caller, request, cancellationToken);
        if (result.Error is not null)
        {
            // Every refusal is on the record with who asked, what for and, once the subject was found, under which task.
            var details = new JsonObject
            {
                ["error"] = result.Code,
                ["description"] = result.Description,
                ["subjectJti"] = trail.SubjectJti,
                ["resource"] = request.Audience,
                ["actorToken"] = request.ActorToken is null ? null : "presented",
                ["decision"] = trail.Decision is { Allowed: false } d ? AuditEvents.Decision(false, d.RuleId, d.PolicyVersion, d.Reason) : null,
            };
            await _audit.AppendAsync(AuditEvents.Create(AuditEventTypes.ExchangeDenied, _time.GetUtcNow(), caller.Id.Value, trail.Task, details), CancellationToken.None);
        }

        return result;
    }

    // What a refusal's audit event names, gathered as the exchange goes.
    private sealed class Trail
    {
        public TaskRecord? Task { get; set; }

        public string? SubjectJti { get; set; }

        public PolicyDecision? Decision { get; set; }
    }

    private static readonly AsyncLocal<Trail?> Current = new();

    private async ValueTask<ExchangeResult> ExchangeCoreAsync(CallerIdentity caller, ExchangeRequest request, CancellationToken cancellationToken)
    {
        if (!caller.HasAnyRole(BrokerRoles.Agent))
        {
            return Fail(ExchangeError.UnauthorizedClient, ErrorCodes.Forbidden, "Only agents may exchange task tokens.", caller, null);
        }

        // A transaction token is exchanged only for its replacement (draft-ietf-oauth-transaction-tokens-10 §12.11), and only
        // within its trust domain.
        var replacing = request.SubjectIsTransactionToken;
        if (replacing && request.Requested != RequestedToken.TransactionToken)
        {
            return Fail(ExchangeError.InvalidRequest, ErrorCodes.TokenTypeUnsupported, $"A transaction token is exchanged only for its replacement (requested_token_type {TokenTypeUris.TxnToken}).", caller, null);
        }

        var validation = replacing
            ? await _tokens.ValidateAsync(request.SubjectToken, TransactionSubjectTypes, _options.EffectiveTrustDomain)
            : await _tokens.ValidateAsync(request.SubjectToken, SubjectTypes);
        if (!validation.IsValid || !validation.Token.TryGetPayloadValue<string>("task_id", out var taskId))
        {
            return Fail(ExchangeError.InvalidGrant, ErrorCodes.SubjectInvalid, replacing
                ? "The subject_token is not a valid, current transaction token of this broker for its trust domain."
                : "The subject_token is not a valid, current task token of this broker.", caller, null);
        }

        var subjectJti = validation.Token.Id;
        BrokerTelemetry.TagCurrent(BrokerTelemetryTags.TaskId, taskId);
        BrokerTelemetry.TagCurrent(BrokerTelemetryTags.SubjectJti, subjectJti);
        var lookup = await _store.GetCredentialAsync(taskId, subjectJti, cancellationToken);
        var now = _time.GetUtcNowSeconds();
        if (lookup is null || lookup.Credential.StatusAt(now) != CredentialStatus.Active)
        {
            return Fail(ExchangeError.InvalidGrant, ErrorCodes.SubjectInactive, "The subject_token has been revoked or has expired.", caller, subjectJti);
        }

        if (_rules.RevokedBy(lookup, now) is not null)
        {
            return Fail(ExchangeError.InvalidGrant, ErrorCodes.SubjectInactive, "The subject_token has been revoked.", caller, subjectJti);
        }

        var (subject, task) = (lookup.Credential, lookup.Task);
        if (Current.Value is { } trail)
        {
            (trail.Task, trail.SubjectJti) = (task, subjectJti);
        }

        // A quarantined workload's authority is spent by nobody: not by itself, not by a delegate down its chain, not
        // through a task its orchestrator created.
        if (_rules.QuarantineOfAny([caller.Id.Value, task.Agent, task.CreatedBy, .. lookup.Ancestors.Select(a => a.Holder)]) is not null)
        {
            return Fail(ExchangeError.InvalidGrant, ErrorCodes.Quarantined, "A workload behind this exchange (the caller, the task's agent or orchestrator, or a delegator up the chain) is quarantined by the SOC.", caller, subjectJti);
        }

        if (!OpenStates.Contains(task.State))
        {
            return Fail(ExchangeError.InvalidGrant, ErrorCodes.TaskClosed, $"The task is {TaskStateMachine.ToWireName(task.State)}; it issues no new credentials.", caller, subjectJti);
        }

        // Proof of possession: only the workload the subject token is bound to may exchange it, with proof of its key if it names one.
        // A transaction token is bound to no workload: it travels down its call chain (draft §10), and any agent of the chain
        // may ask for its replacement, which names that agent last in req_wl.
        if (!replacing && !string.Equals(subject.Holder, caller.Id.Value, StringComparison.Ordinal))
        {
            return Fail(ExchangeError.InvalidGrant, ErrorCodes.SubjectNotBound, "The subject_token is not bound to the calling workload.", caller, subjectJti);
        }

        if (Possession.Check(subject.Binding, caller, request.Dpop) is { } unproven)
        {
            return unproven == PossessionFailure.TokenNotCovered
                ? Fail(ExchangeError.InvalidDpopProof, ErrorCodes.DpopProofInvalid, Possession.Describe(unproven, subject.Binding!), caller, subjectJti)
                : Fail(ExchangeError.InvalidGrant, ErrorCodes.KeyNotProven, Possession.Describe(unproven, subject.Binding!), caller, subjectJti);
        }

        // The task's budget is spent only by its holder, after its proof: a workload that merely holds a copy of the token
        // (or a revoked delegate of the task) is refused above without starving the task.
        if (_perTask is not null)
        {
            using var lease = await _perTask.AcquireAsync(taskId, 1, cancellationToken);
            if (!lease.IsAcquired)
            {
                var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : (TimeSpan?)null;
                const string Description = "This task's credentials are being exchanged faster than its rate limit allows; retry after the Retry-After delay.";
                LogRefused(_logger, ExchangeError.SlowDown, ErrorCodes.RateLimited, subjectJti, caller.Id.Value, Description);
                return ExchangeResult.Throttled(retryAfter, Description);
            }
        }

        var grants = BrokerTokenClaims.Grants(validation.Token);
        var actors = BrokerTokenClaims.Actors(validation.Token);
        if (request.Requested == RequestedToken.TransactionToken)
        {
            return await IssueTransactionTokenAsync(caller, request, task, subject, grants, actors, now, replacing ? BrokerTokenClaims.TransactionChain(validation.Token) : null, cancellationToken);
        }

        if (request.Audience is not null)
        {
            grants = [.. grants.Where(g => string.Equals(g.Destination, request.Audience, StringComparison.Ordinal))];
            if (grants.Count == 0)
            {
                return Fail(ExchangeError.InvalidTarget, ErrorCodes.TargetNotGranted, "The subject_token grants nothing for that resource or audience.", caller, subjectJti);
            }
        }

        if (request.Scopes is not null)
        {
            var narrowed = Scopes.Narrow(grants, request.Scopes);
            if (narrowed is null || narrowed.Count == 0)
            {
                return Fail(ExchangeError.InvalidScope, ErrorCodes.ScopeInvalid, "The requested scope is wider than what the subject_token grants for that target.", caller, subjectJti);
            }

            grants = narrowed;
        }

        return request.Requested switch
        {
            RequestedToken.DelegatedTask => await DelegateAsync(caller, request, task, subject, grants, actors, now, cancellationToken),
            RequestedToken.Secret => await IssueSecretAsync(caller, request, task, subject, grants, actors, now, cancellationToken),
            _ => await IssueAccessTokenAsync(caller, request, task, subject, grants, actors, now, cancellationToken),
        };
    }

    /// <summary>
    /// A downstream secret for the resource of <paramref name="request"/>: decided by policy like an access token (with the
    /// provider's kind as a fact), recorded under its parent and marked as being issued before the backend is called,
    /// confirmed only after the backend answered. A failed issue is revoked at once; an unfinished one (a crash, a hang)
    /// is revoked by the revoker when its mark outlives <see cref="CredentialBrokerOptions.SecretIssueTimeout"/>.
    /// </summary>
    private async ValueTask<ExchangeResult> IssueSecretAsync(
        CallerIdentity caller, ExchangeRequest request, TaskRecord task, CredentialRecord subject,
        IReadOnlyList<AuthorizationGrant> grants, IReadOnlyList<string> actors, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (request.Audience is null)
        {
            return Fail(ExchangeError.InvalidRequest, ErrorCodes.ParameterMissing, "A downstream secret needs one 'resource' or 'audience'.", caller, subject.Jti);
        }

        if (_secrets?.Find(request.Audience) is not { } target)
        {
            return Fail(ExchangeError.InvalidTarget, ErrorCodes.SecretProviderUnknown, "No downstream secret provider serves that resource.", caller, subject.Jti);
        }

        var lifetime = Min(subject.ExpiresAt - now, target.MaxTtl);
        var decision = await DecideAsync(PolicyOperation.Exchange, caller, task, grants, lifetime, request.Audience, actor: null, subject.Depth, now, TokenTypeUris.Secret, target.Kind, cancellationToken);
        if (!decision.Allowed)
        {
            return Fail(ExchangeError.InvalidTarget, ErrorCodes.PolicyDenied, $"Denied by policy rule '{decision.RuleId}': {decision.Reason}", caller, subject.Jti);
        }

        var jti = Identifiers.NewJti();
        var expiresAt = now + Min(lifetime, decision.MaxTtl);
        var plan = _secrets.Plan(target, jti, expiresAt);
        var credential = new CredentialRecord(jti, task.TaskId, CredentialKind.Secret, subject.Jti, caller.Id.Value, now, expiresAt,
            Audience: request.Audience, Depth: subject.Depth, Policy: new PolicyReference(decision.RuleId, decision.PolicyVersion),
            Secret: new SecretReference(target.Provider, target.Kind, plan.Username, LeaseId: null));
        if ((await RecordAsync(credential, caller, task, actors, cancellationToken)).Failure is { } failure)
        {
            return failure;
        }

        await _store.TrackIssuingAsync(credential, _time.GetUtcNow() + _options.SecretIssueTimeout, cancellationToken);
        IssuedSecretValue issued;
        using (var timeout = new CancellationTokenSource(_options.SecretIssueTimeout, _time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
        {
            try
            {
                issued = await IssueTracedAsync(_secrets, plan, linked.Token);
            }
            catch (Exception ex) when (ex is SecretIssueException || (ex is OperationCanceledException && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested))
            {
                // Whatever the backend may hold of it goes, now and once more when its issuing mark falls due (a late
                // create cannot outlive it); the record says why.
                var refusal = ex as SecretIssueException ?? new SecretIssueException($"The backend did not answer within {_options.SecretIssueTimeout}.", ex) { Transient = true };
                await RevokeIncompleteAsync(task, jti);
                _signal.WorkAvailable();
                LogSecretFailed(_logger, jti, target.Provider, task.TaskId, refusal.Transient, refusal.Message);
                return refusal.Transient
                    ? Fail(ExchangeError.TemporarilyUnavailable, ErrorCodes.DownstreamUnavailable, $"The downstream backend of {target.Resource} could not be reached; nothing was issued. Retry later.", caller, subject.Jti)
                    : Fail(ExchangeError.InvalidTarget, ErrorCodes.DownstreamRefused, $"The downstream backend of {target.Resource} refused to issue the secret; nothing was issued.", caller, subject.Jti);
            }
            catch (OperationCanceledException)
            {
                // The caller went away: nobody will receive the secret.
                await RevokeIncompleteAsync(task, jti);
                _signal.WorkAvailable();
                throw;
            }
        }

        if (!await _store.ConfirmIssuedAsync(credential, issued.LeaseId, _time.GetUtcNowMilliseconds(), cancellationToken))
        {
            // Revoked while the backend was creating it (the task ended, a SOC rule, an ancestor's revocation): the
            // revoker destroys it once more and the caller never sees it.
            _signal.WorkAvailable();
            return Fail(ExchangeError.InvalidGrant, ErrorCodes.SubjectInactive, "The subject_token was revoked while the secret was being issued; nothing was issued.", caller, subject.Jti);
        }

        try
        {
            await _audit.AppendAsync(AuditEvents.Create(AuditEventTypes.SecretIssued, _time.GetUtcNow(), caller.Id.Value, task, new JsonObject
            {
                ["jti"] = jti,
                ["provider"] = target.Provider,
                ["kind"] = target.Kind,
                ["resource"] = target.Resource,
                ["username"] = plan.Username,
                ["lease"] = issued.LeaseId is null ? null : "recorded",
            }), cancellationToken);
        }
        catch (StoreUnavailableException)
        {
            // A secret whose issue is not on the record is not handed out, and goes (the revoker retries if this fails too).
            await RevokeIncompleteAsync(task, jti);
            _signal.WorkAvailable();
            throw;
        }

        LogIssued(_logger, jti, "secret", subject.Jti, task.TaskId, caller.Id.Value, decision.RuleId);
        List<KeyValuePair<string, object>> description =
        [
            new("kind", target.Kind),
            new("id", jti),
            new("resource", target.Resource),
            .. issued.Fields,
            new("expiresAt", expiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)),
        ];
        return ExchangeResult.IssuedSecret(issued.Secret, (long)(expiresAt - now).TotalSeconds, Scopes.Format(grants), description);
    }

    /// <summary>
    /// A transaction token (draft-ietf-oauth-transaction-tokens-10) from a task or delegated token, or the replacement of one:
    /// for the trust domain the request names, narrowed to the scope it asks for (required: the purpose of the transaction),
    /// decided by policy, recorded under its subject and only then signed. A replacement keeps <c>txn</c>, <c>sub</c>,
    /// <c>aud</c> and <c>rctx</c>, can only narrow its scope, never outlives the token it replaces (its parent), and appends
    /// the caller to <c>req_wl</c>.
    /// </summary>
    private async ValueTask<ExchangeResult> IssueTransactionTokenAsync(
        CallerIdentity caller, ExchangeRequest request, TaskRecord task, CredentialRecord subject, IReadOnlyList<AuthorizationGrant> grants,
        IReadOnlyList<string> actors, DateTimeOffset now, (IReadOnlyList<string> Requesters, string Authn)? chain, CancellationToken cancellationToken)
    {
        var trustDomain = _options.EffectiveTrustDomain!;
        if (!string.Equals(request.Audience, trustDomain, StringComparison.Ordinal))
        {
            return Fail(ExchangeError.InvalidTarget, ErrorCodes.TargetInvalid, $"A transaction token's audience is the trust domain: ask for audience={trustDomain}.", caller, subject.Jti);
        }

        if (request.Scopes is null)
        {
            return Fail(ExchangeError.InvalidRequest, ErrorCodes.ParameterMissing, "A transaction token needs a 'scope': the purpose of the transaction, within the subject_token's scope.", caller, subject.Jti);
        }

        var narrowed = Scopes.Narrow(grants, request.Scopes);
        if (narrowed is null || narrowed.Count == 0)
        {
            return Fail(ExchangeError.InvalidScope, ErrorCodes.ScopeInvalid, "The requested scope is wider than what the subject_token grants.", caller, subject.Jti);
        }

        // req_wl grows with every replacement; a bounded chain keeps the token within what every reader accepts (draft §12.15
        // asks for a limit on replacements).
        if (chain?.Requesters.Count >= MaxTransactionRequesters)
        {
            return Fail(ExchangeError.InvalidGrant, ErrorCodes.DepthExceeded, $"A transaction token names at most {MaxTransactionRequesters} requesting workloads: ask for a new one from a task token.", caller, subject.Jti);
        }

        var lifetime = Min(subject.ExpiresAt - now, _options.TransactionTokens.MaxTtl);
        var decision = await DecideAsync(PolicyOperation.Exchange, caller, task, narrowed, lifetime, trustDomain, actor: null, subject.Depth, now, TokenTypeUris.TxnToken, secretKind: null, cancellationToken);
        if (!decision.Allowed)
        {
            return Fail(ExchangeError.InvalidTarget, ErrorCodes.PolicyDenied, $"Denied by policy rule '{decision.RuleId}': {decision.Reason}", caller, subject.Jti);
        }

        var credential = new CredentialRecord(Identifiers.NewJti(), task.TaskId, CredentialKind.TxnToken, subject.Jti, caller.Id.Value,
            now, now + Min(lifetime, decision.MaxTtl), Audience: trustDomain, Depth: subject.Depth,
            Policy: new PolicyReference(decision.RuleId, decision.PolicyVersion));
        var (failure, recorded) = await RecordAsync(credential, caller, task, actors, cancellationToken);
        if (failure is not null)
        {
            return failure;
        }

        var (requesters, authn) = chain is { } kept
            ? ((IReadOnlyList<string>)[.. kept.Requesters, caller.Id.Value], kept.Authn)
            : ([caller.Id.Value], AuthnOf(caller));
        var scope = Scopes.Format(narrowed);
        var token = _factory.SignTransactionToken(task, recorded, narrowed, actors, requesters, authn, scope);
        LogIssued(_logger, credential.Jti, "txn_token", subject.Jti, task.TaskId, caller.Id.Value, decision.RuleId);
        return ExchangeResult.Issued(token, TokenTypeUris.TxnToken, "N_A", (long)(credential.ExpiresAt - now).TotalSeconds, scope);
    }

    // rctx.authn: how the requesting workload proved who it is.
    private static string AuthnOf(CallerIdentity caller) => caller.Method == CallerAuthenticationMethod.X509Svid ? "x509_svid" : "jwt_svid";

    private async ValueTask<ExchangeResult> IssueAccessTokenAsync(
        CallerIdentity caller, ExchangeRequest request, TaskRecord task, CredentialRecord subject,
        IReadOnlyList<AuthorizationGrant> grants, IReadOnlyList<string> actors, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (request.Audience is null)
        {
            return Fail(ExchangeError.InvalidRequest, ErrorCodes.ParameterMissing, "An access token needs one 'resource' or 'audience'.", caller, subject.Jti);
        }

        var lifetime = Min(subject.ExpiresAt - now, _options.MaxAccessTokenTtl);
        var decision = await DecideAsync(PolicyOperation.Exchange, caller, task, grants, lifetime, request.Audience, actor: null, subject.Depth, now, TokenTypeUris.AccessToken, secretKind: null, cancellationToken);
        if (!decision.Allowed)
        {
            return Fail(ExchangeError.InvalidTarget, ErrorCodes.PolicyDenied, $"Denied by policy rule '{decision.RuleId}': {decision.Reason}", caller, subject.Jti);
        }

        // RFC 9449 when the request proved a DPoP key, else RFC 8705 when the caller came with its X.509-SVID.
        var binding = request.Dpop is { } dpop ? KeyBinding.Jkt(dpop.Jkt)
            : caller.CertificateThumbprint is { } thumbprint ? KeyBinding.X5tS256(thumbprint)
            : null;
        var credential = new CredentialRecord(Identifiers.NewJti(), task.TaskId, CredentialKind.AccessToken, subject.Jti, caller.Id.Value,
            now, now + Min(lifetime, decision.MaxTtl), Audience: request.Audience, Depth: subject.Depth,
            Policy: new PolicyReference(decision.RuleId, decision.PolicyVersion), Binding: binding);
        var (failure, recorded) = await RecordAsync(credential, caller, task, actors, cancellationToken);
        if (failure is not null)
        {
            return failure;
        }

        var scope = Scopes.Format(grants);
        var token = _factory.SignAccessToken(task, recorded, grants, actors, caller.Id.Value, scope);
        LogIssued(_logger, credential.Jti, "access_token", subject.Jti, task.TaskId, caller.Id.Value, decision.RuleId);
        return ExchangeResult.Issued(token, TokenTypeUris.AccessToken, binding?.Kind == KeyBindingKind.Jkt ? "DPoP" : "Bearer", (long)(credential.ExpiresAt - now).TotalSeconds, scope);
    }

    private async ValueTask<ExchangeResult> DelegateAsync(
        CallerIdentity caller, ExchangeRequest request, TaskRecord task, CredentialRecord subject,
        IReadOnlyList<AuthorizationGrant> grants, IReadOnlyList<string> actors, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (actor, actorBinding, refusal) = await ActorOfAsync(caller, request, subject);
        if (refusal is not null)
        {
            return refusal;
        }

        BrokerTelemetry.TagCurrent(BrokerTelemetryTags.Actor, actor!.Value);
        if (_rules.QuarantineOfAny([actor.Value]) is not null)
        {
            return Fail(ExchangeError.InvalidGrant, ErrorCodes.Quarantined, "The actor is quarantined by the SOC.", caller, subject.Jti);
        }

        if (!_roles.RolesOf(actor).HasFlag(BrokerRoles.Agent))
        {
            return Fail(ExchangeError.InvalidGrant, ErrorCodes.ActorInvalid, "The actor does not hold the agent role.", caller, subject.Jti);
        }

        // Deny by default: the orchestrator consents to delegation by naming the sub-agents in mayAct when it creates the task.
        if (task.MayAct.Count == 0)
        {
            return Fail(ExchangeError.InvalidGrant, ErrorCodes.ActorNotAllowed, "The task names no mayAct, so it may not be delegated: its orchestrator lists the sub-agents it consents to when creating the task.", caller, subject.Jti);
        }

        if (!task.MayAct.Any(p => SpiffeIdPattern.TryParse(p, out var pattern, out _) && pattern.Matches(actor)))
        {
            return Fail(ExchangeError.InvalidGrant, ErrorCodes.ActorNotAllowed, "The task's mayAct does not allow this actor.", caller, subject.Jti);
        }

        if (string.Equals(actor.Value, task.Agent, StringComparison.Ordinal) || actors.Contains(actor.Value, StringComparer.Ordinal))
        {
            return Fail(ExchangeError.InvalidGrant, ErrorCodes.ActorInvalid, "The actor is already in the delegation chain.", caller, subject.Jti);
        }

        var depth = subject.Depth + 1;
        if (depth > task.MaxDelegationDepth)
        {
            return Fail(ExchangeError.InvalidGrant, ErrorCodes.DepthExceeded, $"The task allows a delegation depth of {task.MaxDelegationDepth}.", caller, subject.Jti);
        }

        var lifetime = subject.ExpiresAt - now;
        var decision = await DecideAsync(PolicyOperation.Delegate, caller, task, grants, lifetime, request.Audience, actor.Value, depth, now, TokenTypeUris.Task, secretKind: null, cancellationToken);
        if (!decision.Allowed)
        {
            return Fail(ExchangeError.InvalidTarget, ErrorCodes.PolicyDenied, $"Denied by policy rule '{decision.RuleId}': {decision.Reason}", caller, subject.Jti);
        }

        var credential = new CredentialRecord(Identifiers.NewJti(), task.TaskId, CredentialKind.Delegated, subject.Jti, actor.Value,
            now, now + Min(lifetime, decision.MaxTtl), Depth: depth, Policy: new PolicyReference(decision.RuleId, decision.PolicyVersion), Binding: actorBinding);
        var (failure, recorded) = await RecordAsync(credential, caller, task, [actor.Value, .. actors], cancellationToken);
        if (failure is not null)
        {
            return failure;
        }

        var token = _factory.SignDelegatedToken(task, recorded, grants, [actor.Value, .. actors]);
        LogIssued(_logger, credential.Jti, "delegated", subject.Jti, task.TaskId, caller.Id.Value, decision.RuleId);
        return ExchangeResult.Issued(token, TokenTypeUris.Task, "N_A", (long)(credential.ExpiresAt - now).TotalSeconds, Scopes.Format(grants));
    }

    /// <summary>
    /// The sub-agent a delegation names, and the key its consent binds the delegated token to: by SPIFFE ID, or by a JWT-SVID
    /// it addressed to the delegating agent. A JWT-SVID addressed to the broker is refused whatever else it says: it is a
    /// credential for the broker, and holding it would let the delegating agent act as the sub-agent.
    /// </summary>
    private async ValueTask<(SpiffeId? Actor, KeyBinding? Binding, ExchangeResult? Refusal)> ActorOfAsync(CallerIdentity caller, ExchangeRequest request, CredentialRecord subject)
    {
        if (request.ActorKind == ActorTokenKind.SpiffeId)
        {
            return SpiffeId.TryParse(request.ActorToken, out var named, out _)
                ? (named, null, null)
                : (null, null, Fail(ExchangeError.InvalidGrant, ErrorCodes.ActorInvalid, "The actor_token is not a SPIFFE ID.", caller, subject.Jti));
        }

        if (AddressesBroker(request.ActorToken))
        {
            return (null, null, Fail(ExchangeError.InvalidRequest, ErrorCodes.ActorSvidForBroker,
                "The actor_token is a JWT-SVID addressed to this broker: a credential with which its holder could call the broker as the sub-agent, " +
                "so no workload may hold another's. Name the sub-agent instead (actor_token_type urn:credentialbroker:token-type:spiffe-id), " +
                "or present a JWT-SVID the sub-agent addressed to your own SPIFFE ID.", caller, subject.Jti));
        }

        var consent = await _svids.ValidateAsync(request.ActorToken, caller.Id.Value);
        return consent.IsValid
            ? (consent.Id, consent.Confirmation, null)
            : (null, null, Fail(ExchangeError.InvalidGrant, ErrorCodes.ActorInvalid, "The actor_token is not a valid JWT-SVID addressed to the calling workload.", caller, subject.Jti));
    }

    // Read before any verification: refusing never trusts the token, and the answer is the same whether its signature holds.
    private bool AddressesBroker(string? token)
    {
        if (JwtShape.Check(token, _options.MaxTokenLength) is not null)
        {
            return false;
        }

        try
        {
            return new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token).Audiences.Contains(_factory.Issuer, StringComparer.Ordinal);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private async ValueTask<PolicyDecision> DecideAsync(
        PolicyOperation operation, CallerIdentity caller, TaskRecord task, IReadOnlyList<AuthorizationGrant> grants,
        TimeSpan lifetime, string? audience, string? actor, int depth, DateTimeOffset now, string tokenType, string? secretKind, CancellationToken cancellationToken)
    {
        var policy = _policy.Current;
        IReadOnlyList<string> workloads = actor is null ? [task.Agent, caller.Id.Value] : [task.Agent, caller.Id.Value, actor];
        var risk = await _risk.GetAsync(workloads, task.Workflow.Id, cancellationToken);
        var decision = PolicyDecision.Combine([.. grants.Select(g => policy.Evaluate(new PolicyInput(
            operation, caller, task, new PolicyGrantRequest(g.Tool, g.Destination, g.Actions, g.DataClass, lifetime, audience, actor, depth, secretKind) { TokenType = tokenType }, risk, now)))]);
        if (Current.Value is { } trail)
        {
            trail.Decision = decision;
        }

        return decision;
    }

    // The failure to answer with, or the credential as recorded (with the status list entry its token carries).
    private async ValueTask<(ExchangeResult? Failure, CredentialRecord Recorded)> RecordAsync(CredentialRecord credential, CallerIdentity caller, TaskRecord task, IReadOnlyList<string> actors, CancellationToken cancellationToken)
    {
        if (credential.ExpiresAt <= credential.IssuedAt)
        {
            return (Fail(ExchangeError.InvalidGrant, ErrorCodes.SubjectExpiring, "The subject_token expires too soon to derive anything from it.", caller, credential.ParentJti), credential);
        }

        // The event goes in with the record: no credential exists without the decision that allowed it.
        var details = AuditEvents.Credential(credential);
        details["actors"] = new JsonArray([.. actors.Select(a => (JsonNode)JsonValue.Create(a))]);
        var audit = AuditEvents.Create(AuditEventTypes.CredentialIssued, credential.IssuedAt, caller.Id.Value, task, details);
        var added = await _store.AddCredentialAsync(credential, OpenStates, credential.IssuedAt, _options.MaxCredentialsPerTask, audit, cancellationToken);
        if (added.Outcome == CredentialAddition.Added)
        {
            BrokerTelemetry.TagCurrent(BrokerTelemetryTags.Jti, credential.Jti);
            BrokerTelemetry.TagCurrent(BrokerTelemetryTags.Resource, credential.Audience);
        }

        return (added.Outcome switch
        {
            CredentialAddition.Added => null,
            CredentialAddition.TaskClosed => Fail(ExchangeError.InvalidGrant, ErrorCodes.TaskClosed, "The task was closed while the exchange ran.", caller, credential.ParentJti),
            CredentialAddition.TaskFull => Fail(ExchangeError.InvalidGrant, ErrorCodes.TaskFull,
                $"The task already holds {_options.MaxCredentialsPerTask} credentials, as many as a task may; finish it and start a new task.", caller, credential.ParentJti),
            _ => Fail(ExchangeError.InvalidGrant, ErrorCodes.SubjectInactive, "The subject_token was revoked while the exchange ran.", caller, credential.ParentJti),
        }, credential with { Status = added.Status });
    }

    private async ValueTask RevokeIncompleteAsync(TaskRecord task, string jti)
    {
        var at = _time.GetUtcNowMilliseconds();
        await _store.RevokeSubtreeAsync(task.TaskId, jti, at, RevocationReasons.IssueIncomplete, AuditEvents.Create(
            AuditEventTypes.RevocationRecorded, at, AuditEvents.BrokerActor, task, new JsonObject { ["jti"] = jti, ["reason"] = RevocationReasons.IssueIncomplete }), CancellationToken.None);
    }

    /// <summary>The backend's creation of a secret, as a span of its own (the exchange's child): a slow backend shows as such.</summary>
    private static async ValueTask<IssuedSecretValue> IssueTracedAsync(ISecretIssuer secrets, SecretPlan plan, CancellationToken cancellationToken)
    {
        using var activity = BrokerTelemetry.Source.StartActivity(BrokerTelemetry.SecretIssueSpan);
        activity?.SetTag(BrokerTelemetryTags.Jti, plan.Jti).SetTag(BrokerTelemetryTags.Provider, plan.Target.Provider).SetTag(BrokerTelemetryTags.Resource, plan.Target.Resource);
        try
        {
            var issued = await secrets.IssueAsync(plan, cancellationToken);
            activity?.SetTag(BrokerTelemetryTags.Outcome, "issued");
            return issued;
        }
        catch (Exception ex)
        {
            activity?.SetTag(BrokerTelemetryTags.Outcome, ex switch
            {
                SecretIssueException { Transient: true } => "unavailable",
                SecretIssueException => "refused",
                OperationCanceledException => "cancelled",
                _ => "error",
            });
            BrokerTelemetry.Failed(activity, ex);
            throw;
        }
    }

    private ExchangeResult Fail(ExchangeError error, string code, string description, CallerIdentity caller, string? subjectJti)
    {
        LogRefused(_logger, error, code, subjectJti, caller.Id.Value, description);
        return ExchangeResult.Failed(error, code, description);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan? b) => b is { } limit && limit < a ? limit : a;

    [LoggerMessage(EventId = 1700, EventName = "TokenExchanged", Level = LogLevel.Information,
        Message = "Issued {Kind} {Jti} from jti {SubjectJti} of task {TaskId} to {Caller} (policy rule {Rule})")]
    private static partial void LogIssued(ILogger logger, string jti, string kind, string subjectJti, string taskId, string caller, string rule);

    [LoggerMessage(EventId = 1702, EventName = "SecretIssueFailed", Level = LogLevel.Warning,
        Message = "Issuing downstream secret {Jti} with provider {Provider} for task {TaskId} failed (transient: {Transient}): {Reason}; its record is revoked")]
    private static partial void LogSecretFailed(ILogger logger, string jti, string provider, string taskId, bool transient, string reason);

    [LoggerMessage(EventId = 1701, EventName = "TokenExchangeRefused", Level = LogLevel.Information,
        Message = "Refused a token exchange ({Error}, {Code}) of jti {SubjectJti} for {Caller}: {Reason}")]
    private static partial void LogRefused(ILogger logger, ExchangeError error, string code, string? subjectJti, string caller, string reason);
}
