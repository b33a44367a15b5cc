using System.Text;
using System.Text.Json.Nodes;

namespace CredentialBroker.Testing;

/// <summary>
/// Opens an HTML document in headless Chromium (the Debian <c>chromium</c> package) and measures what it rendered:
/// a copy of the document gets a script at its end that reads the laid-out chart and the page's visible text.
/// </summary>
public static class HeadlessChromium
{
    /// <summary>What the browser laid out.</summary>
    public sealed record Rendering(double CurveLength, double ChartWidth, double ChartHeight, string Text);

    private const string Probe = """
        <script>
        (function () {
          var path = document.getElementById('still-valid-curve');
          var chart = document.getElementById('still-valid-chart');
          var box = chart ? chart.getBoundingClientRect() : { width: 0, height: 0 };
          var measured = { curveLength: path ? path.getTotalLength() : 0, chartWidth: box.width, chartHeight: box.height, text: document.body.innerText };
          var out = document.createElement('pre');
          out.id = 'measured';
          out.textContent = btoa(unescape(encodeURIComponent(JSON.stringify(measured))));
          document.body.appendChild(out);
        })();
        </script>
        """;

    /// <summary>The Chromium binary: <c>CB_CHROMIUM</c>, or <c>chromium</c> on the PATH.</summary>
    public static string Binary => Environment.GetEnvironmentVariable("CB_CHROMIUM") ?? "chromium";

    /// <summary>Renders <paramref name="html"/> and returns the measurements.</summary>
    public static async Task<Rendering> RenderAsync(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        var directory = Directory.CreateTempSubdirectory("cb-chromium-").FullName;
        try
        {
            var page = Path.Combine(directory, "report.html");
            await File.WriteAllTextAsync(page, html.Replace("</body>", Probe + "</body>", StringComparison.Ordinal));
            var run = await ProcessRunner.RunAsync(Binary, [.. Arguments(directory), "--dump-dom", new Uri(page).AbsoluteUri]);
            var start = run.StandardOutput.IndexOf("<pre id=\"measured\">", StringComparison.Ordinal);
            if (run.ExitCode != 0 || start < 0)
            {
                throw new InvalidOperationException($"Chromium did not render the page (exit {run.ExitCode}): {run.StandardError}");
            }

            start += "<pre id=\"measured\">".Length;
            var encoded = run.StandardOutput[start..run.StandardOutput.IndexOf("</pre>", start, StringComparison.Ordinal)];
            var measured = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(encoded)))!;
            return new Rendering((double)measured["curveLength"]!, (double)measured["chartWidth"]!, (double)measured["chartHeight"]!, (string)measured["text"]!);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Writes a PNG screenshot of <paramref name="htmlFile"/> (for the docs).</summary>
    public static async Task ScreenshotAsync(string htmlFile, string pngFile, int width = 1200, int height = 1600)
    {
        var directory = Directory.CreateTempSubdirectory("cb-chromium-").FullName;
        try
        {
            var run = await ProcessRunner.RunAsync(Binary, [.. Arguments(directory), $"--window-size={width},{height}", $"--screenshot={pngFile}", new Uri(Path.GetFullPath(htmlFile)).AbsoluteUri]);
            if (run.ExitCode != 0 || !File.Exists(pngFile))
            {
                throw new InvalidOperationException($"Chromium took no screenshot (exit {run.ExitCode}): {run.StandardError}");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // Root in CI needs --no-sandbox; a private profile keeps runs apart.
    private static string[] Arguments(string profile) =>
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars", "--no-first-run", $"--user-data-dir={profile}"];
}
