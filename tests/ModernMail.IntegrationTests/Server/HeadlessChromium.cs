using System.Diagnostics;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>The Debian <c>chromium</c> package run headless as a process: loads a page (its script and the fetches it makes
/// included), then gives the DOM as the browser built it, or a screenshot.</summary>
/// <remarks>Missing Chromium fails the test (CI installs it with scripts/testworld/install.sh); it never skips.</remarks>
internal static class HeadlessChromium
{
    private static readonly Lazy<string> s_path = new(Find);

    /// <summary>The DOM after the page's script ran (up to 5 s of page time), parsed as HTML5.</summary>
    public static async Task<IDocument> LoadAsync(Uri url, CancellationToken ct)
    {
        string html = await RunAsync(["--dump-dom", url.ToString()], ct);
        return await new HtmlParser().ParseDocumentAsync(html, ct);
    }

    /// <summary>Saves a 1280-pixel-wide screenshot of the page as PNG.</summary>
    public static async Task ScreenshotAsync(Uri url, string path, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Delete(path);
        await RunAsync(["--hide-scrollbars", "--window-size=1280,2000", $"--screenshot={path}", url.ToString()], ct);
        Assert.True(File.Exists(path), $"chromium wrote no screenshot to {path}");
    }

    private static async Task<string> RunAsync(string[] args, CancellationToken ct)
    {
        string profile = Path.Combine(Path.GetTempPath(), "mm-chromium-" + Guid.NewGuid().ToString("N"));
        var info = new ProcessStartInfo(s_path.Value)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // --no-sandbox: the tests run as root in CI. The virtual time budget lets the page's script and fetches finish.
        foreach (string arg in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--proxy-server=direct://", $"--user-data-dir={profile}", "--virtual-time-budget=5000", .. args])
        {
            info.ArgumentList.Add(arg);
        }
        try
        {
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            string output = await stdout;
            Assert.True(process.ExitCode == 0, $"chromium {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}");
            return output;
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { }
        }
    }

    private static string Find()
    {
        foreach (string name in (string[])["chromium", "chromium-browser"])
        {
            foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                string path = Path.Combine(directory, name);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }
        Assert.Fail("Headless Chromium is needed for the status page tests and is not installed: run scripts/testworld/install.sh as root (it installs the Debian package \"chromium\").");
        return "";
    }
}
