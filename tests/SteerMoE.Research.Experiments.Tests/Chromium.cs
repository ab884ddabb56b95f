using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>Runs only where chromium-headless-shell is installed (tools/setup-test-deps.d/system.sh installs it).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>Skips with a message when no headless Chromium is on the PATH.</summary>
    public ChromiumFactAttribute()
    {
        if (Chromium.Executable is null) Skip = "chromium-headless-shell not installed: report.html is not rendered here (apt-get install chromium-headless-shell)";
    }
}

/// <summary>
/// Renders an HTML file in headless Chromium: a screenshot, and the layout as the browser computes it (a script
/// appended to a copy of the page writes the boxes of tables and images and the text of every cell into the DOM,
/// which --dump-dom returns).
/// </summary>
public static class Chromium
{
    public static string? Executable => RepoPaths.OnPath("chromium-headless-shell");

    private const string MeasureScript = """
        <script>
        addEventListener('load', () => {
          const right = e => Math.ceil(e.getBoundingClientRect().right);
          const pre = document.createElement('pre'); pre.id = 'steermoe-measure';
          pre.textContent = JSON.stringify({
            viewport: document.documentElement.clientWidth, page: document.documentElement.scrollWidth,
            tables: [...document.querySelectorAll('table')].map(right), images: [...document.querySelectorAll('img')].map(right),
            cells: [...document.querySelectorAll('td')].map(td => td.textContent.trim()) });
          document.body.appendChild(pre);
        });
        </script>
        """;

    /// <summary>The page's layout in a window <paramref name="width"/> pixels wide.</summary>
    public static JsonDocument Measure(string htmlPath, int width)
    {
        string copy = Path.Combine(RepoPaths.TempDir("chromium"), "measured.html");
        File.WriteAllText(copy, File.ReadAllText(htmlPath) + MeasureScript);
        string dom = Run("--dump-dom", $"--window-size={width},900", "--virtual-time-budget=10000", new Uri(copy).AbsoluteUri);
        var m = Regex.Match(dom, "<pre id=\"steermoe-measure\">(.*?)</pre>", RegexOptions.Singleline);
        Assert.True(m.Success, "chromium did not run the measuring script; its output began: " + dom[..Math.Min(300, dom.Length)]);
        return JsonDocument.Parse(System.Net.WebUtility.HtmlDecode(m.Groups[1].Value));
    }

    /// <summary>A PNG of the page in a <paramref name="width"/> × <paramref name="height"/> window.</summary>
    public static void Screenshot(string htmlPath, string pngPath, int width, int height) =>
        Run($"--screenshot={pngPath}", $"--window-size={width},{height}", new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri);

    private static string Run(params string[] args)
    {
        var start = new ProcessStartInfo(Executable!) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in (string[])["--no-sandbox", "--disable-gpu", "--hide-scrollbars", .. args]) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "chromium did not finish within 120 s");
        Assert.True(p.ExitCode == 0, $"chromium exited {p.ExitCode}: {stderr.Result}");
        return stdout;
    }
}
