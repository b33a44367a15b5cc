using System.IO.Compression;
using System.Net;
using System.Text;
using CredentialBroker.Testing;

namespace CredentialBroker.Server.Tests.Telemetry;

/// <summary>
/// An OpenTelemetry collector's OTLP/HTTP receiver as far as the tests need one: it answers every export with 200 and
/// keeps the bodies. Protobuf carries strings as UTF-8, so a span name, a task id or a token is found in the raw body.
/// </summary>
internal sealed class FakeCollector : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Lock _gate = new();
    private readonly List<(string Path, string Body)> _exports = [];
    private readonly List<(string Path, Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];

    public FakeCollector()
    {
        var port = BrokerProcess.FreePort();
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _ = ServeAsync();
    }

    public string Endpoint { get; }

    /// <summary>Every export body received so far, as text.</summary>
    public IReadOnlyList<(string Path, string Body)> Exports()
    {
        lock (_gate)
        {
            return [.. _exports];
        }
    }

    /// <summary>The first export to <paramref name="path"/> whose body matches (or a timeout after <paramref name="patience"/>).</summary>
    public async Task<string> WaitForAsync(string path, Func<string, bool> match, TimeSpan patience, string what)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_exports.FirstOrDefault(e => e.Path == path && match(e.Body)) is { Body: { } body })
            {
                return body;
            }

            _waiters.Add((path, match, found));
        }

        try
        {
            return await found.Task.WaitAsync(patience);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No OTLP export within {patience.TotalSeconds} s: {what}.");
        }
    }

    public void Dispose() => _listener.Close();

    private async Task ServeAsync()
    {
        while (true)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            var input = context.Request.Headers["Content-Encoding"] == "gzip" ? new GZipStream(context.Request.InputStream, CompressionMode.Decompress) : context.Request.InputStream;
            await input.CopyToAsync(body);
            Received(context.Request.Url!.AbsolutePath, Encoding.UTF8.GetString(body.ToArray()));
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    private void Received(string path, string body)
    {
        lock (_gate)
        {
            _exports.Add((path, body));
            foreach (var waiter in _waiters.Where(w => w.Path == path && w.Match(body)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Found.TrySetResult(body);
            }
        }
    }
}
