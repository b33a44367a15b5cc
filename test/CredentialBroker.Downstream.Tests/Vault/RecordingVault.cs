using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace CredentialBroker.Downstream.Tests.Vault;

/// <summary>
/// An in-process stand-in for Vault that serves recorded pairs from Vault's documentation, in the order a test scripts
/// them. Every request must match the next pair exactly — method, path, the pair's headers, the absence of the headers it
/// forbids (and of <c>X-Vault-Namespace</c> unless the test expects one), the JSON body — or the request is a failure:
/// it is answered with an exception and reported by <see cref="AssertDone"/>.
/// </summary>
internal sealed class RecordingVault : HttpMessageHandler
{
    private readonly Lock _gate = new();
    private readonly Queue<Step> _script = new();
    private readonly List<string> _failures = [];
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiting = [];

    /// <summary>The <c>X-Vault-Namespace</c> every request must carry; <see langword="null"/>: none may.</summary>
    public string? Namespace { get; set; }

    /// <summary>Every request received, in order.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Expects the pair's request next and answers with its response.</summary>
    public RecordingVault Then(string pair, params (string Name, JsonNode Value)[] values) => Add(pair, Behaviour.Answer, 1, values);

    /// <summary>Expects the pair's request <paramref name="times"/> times in a row, answering each.</summary>
    public RecordingVault ThenRepeatedly(string pair, int times, params (string Name, JsonNode Value)[] values) => Add(pair, Behaviour.Answer, times, values);

    /// <summary>Expects the pair's request and never answers (until the caller gives up).</summary>
    public RecordingVault ThenNoAnswer(string pair, int times = 1, params (string Name, JsonNode Value)[] values) => Add(pair, Behaviour.Hang, times, values);

    /// <summary>Expects the pair's request and fails as a refused connection would (the request never reached Vault).</summary>
    public RecordingVault ThenConnectionRefused(string pair, int times = 1, params (string Name, JsonNode Value)[] values) => Add(pair, Behaviour.Refuse, times, values);

    /// <summary>Every scripted request arrived and each matched its pair.</summary>
    public void AssertDone()
    {
        lock (_gate)
        {
            Assert.Multiple(() =>
            {
                Assert.That(_failures, Is.Empty, "Requests that matched no recorded pair");
                Assert.That(_script.Select(s => s.Pair.Name), Is.Empty, "Recorded pairs never requested");
            });
        }
    }

    /// <summary>Completes once <paramref name="count"/> requests have arrived: a signal to wait on, not a delay.</summary>
    public Task Received(int count)
    {
        lock (_gate)
        {
            if (_requests.Count >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Add((count, signal));
            return signal.Task;
        }
    }

    /// <summary>How many requests hit <paramref name="path"/>.</summary>
    public int Count(string path) => Requests.Count(r => r.Path == path);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var recorded = new RecordedRequest(
            request.Method.Method,
            request.RequestUri!.PathAndQuery,
            request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase),
            request.Content?.Headers.ContentType?.MediaType,
            body);

        Step? step;
        lock (_gate)
        {
            _requests.Add(recorded);
            _script.TryDequeue(out step);
            foreach (var waiter in _waiting.Where(w => w.Count <= _requests.Count).ToList())
            {
                waiter.Signal.TrySetResult();
                _waiting.Remove(waiter);
            }
        }

        if (step is null)
        {
            throw Fail($"{recorded.Method} {recorded.Path}: no recorded pair was expected");
        }

        if (Mismatch(step.Pair, recorded) is { } mismatch)
        {
            throw Fail($"{recorded.Method} {recorded.Path} does not match {step.Pair.Name}.json: {mismatch}");
        }

        switch (step.Behaviour)
        {
            case Behaviour.Hang:
                // Answer nothing until the client's timeout (or its caller) cancels the attempt.
                await new TaskCompletionSource().Task.WaitAsync(cancellationToken);
                throw new OperationCanceledException(cancellationToken);
            case Behaviour.Refuse:
                throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (recorded stand-in).");
        }

        var response = new HttpResponseMessage((HttpStatusCode)step.Pair.Status) { RequestMessage = request };
        if (step.Pair.ResponseBody is { } json)
        {
            response.Content = new StringContent(json.ToJsonString(), Encoding.UTF8, "application/json");
        }
        else if (step.Pair.ResponseText is { } text)
        {
            response.Content = new StringContent(text, Encoding.UTF8, step.Pair.ResponseContentType);
        }

        return response;
    }

    private RecordingVault Add(string pair, Behaviour behaviour, int times, (string Name, JsonNode Value)[] values)
    {
        var loaded = RecordedPair.Load(pair, values.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal));
        lock (_gate)
        {
            for (var i = 0; i < times; i++)
            {
                _script.Enqueue(new Step(loaded, behaviour));
            }
        }

        return this;
    }

    private string? Mismatch(RecordedPair pair, RecordedRequest request)
    {
        if (request.Method != pair.Method)
        {
            return $"method {request.Method}, expected {pair.Method}";
        }

        if (request.Path != pair.Path)
        {
            return $"path {request.Path}, expected {pair.Path}";
        }

        foreach (var (name, value) in pair.Headers)
        {
            if (!request.Headers.TryGetValue(name, out var actual))
            {
                return $"header {name} missing";
            }

            if (actual != value)
            {
                // Never print the values: one of them may be a token.
                return $"header {name} has another value than the pair's";
            }
        }

        foreach (var name in pair.AbsentHeaders)
        {
            if (request.Headers.ContainsKey(name))
            {
                return $"header {name} must not be sent";
            }
        }

        if (Namespace is null ? request.Headers.ContainsKey("X-Vault-Namespace")
                : !request.Headers.TryGetValue("X-Vault-Namespace", out var ns) || ns != Namespace)
        {
            return Namespace is null ? "X-Vault-Namespace sent though none is configured" : "X-Vault-Namespace missing or different";
        }

        if (pair.Body is null)
        {
            return string.IsNullOrEmpty(request.Body) ? null : "a body was sent where the pair has none";
        }

        if (request.ContentType != "application/json")
        {
            return $"content type {request.ContentType ?? "(none)"}, expected application/json";
        }

        JsonNode? sent;
        try
        {
            sent = JsonNode.Parse(request.Body ?? string.Empty);
        }
        catch (System.Text.Json.JsonException)
        {
            return "the body is not JSON";
        }

        return JsonNode.DeepEquals(sent, pair.Body) ? null : "the JSON body differs from the pair's";
    }

    private UnexpectedVaultRequestException Fail(string failure)
    {
        lock (_gate)
        {
            _failures.Add(failure);
        }

        return new UnexpectedVaultRequestException(failure);
    }

    private enum Behaviour
    {
        Answer,
        Hang,
        Refuse,
    }

    private sealed record Step(RecordedPair Pair, Behaviour Behaviour);
}

/// <summary>A request as the stand-in received it.</summary>
internal sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string? ContentType, string? Body);

/// <summary>A request no recorded pair allowed: the test fails.</summary>
internal sealed class UnexpectedVaultRequestException : Exception
{
    public UnexpectedVaultRequestException()
    {
    }

    public UnexpectedVaultRequestException(string message)
        : base(message)
    {
    }

    public UnexpectedVaultRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
