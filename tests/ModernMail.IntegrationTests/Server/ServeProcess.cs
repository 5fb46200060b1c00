using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using ModernMail.IntegrationTests.Cli;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>A real <c>mailbroker serve</c> process on a loopback port in 28000-28099 (or one a test picks), delivering to the world's milter-free Postfix.</summary>
/// <remarks>SMTP submission is off (<c>--smtp none</c>) unless a test gives a port: the default 127.0.0.1:2587 would collide between servers.</remarks>
public sealed class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _stdout = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServeProcess(Process process, int port, int smtpPort, string dataDirectory)
    {
        _process = process;
        Port = port;
        SmtpPort = smtpPort;
        DataDirectory = dataDirectory;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public int Port { get; }

    /// <summary>The SMTP submission (STARTTLS) port; 0 when SMTP is off.</summary>
    public int SmtpPort { get; }

    public string DataDirectory { get; }

    public Uri BaseAddress { get; }

    public bool HasExited => _process.HasExited;

    public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }

    public string Stdout { get { lock (_stdout) { return _stdout.ToString(); } } }

    /// <summary>Starts the server and waits until it says it listens.</summary>
    /// <param name="dataDirectory">The data directory (keys, queue); reuse one to restart "the same" server.</param>
    /// <param name="extraArgs">More serve options.</param>
    /// <param name="environment">Environment variables (MAILBROKER__...).</param>
    /// <param name="port">A port to reuse (restart); 0 picks a free one in 28000-28099.</param>
    /// <param name="route">The static route for every domain (the milter-free Postfix by default).</param>
    /// <param name="smtpPort">The SMTP submission port on 127.0.0.1; 0 for no SMTP listener.</param>
    /// <param name="hostName">The EHLO name (tells receivers which server delivered a message).</param>
    /// <param name="httpAddress">The address the HTTP API listens on (a non-loopback one to test remote access); loopback by default.</param>
    public static async Task<ServeProcess> StartAsync(string dataDirectory, IEnumerable<string>? extraArgs = null,
        IDictionary<string, string>? environment = null, int port = 0, string route = "*=127.0.0.1:2525", int smtpPort = 0,
        string hostName = "mx.sender.test", string httpAddress = "127.0.0.1")
    {
        TestWorld.EnsureUp();
        port = port == 0 ? FreePort() : port;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = dataDirectory,
        };
        foreach (string arg in (string[])[CliProcess.ToolPath, "serve", "--http", $"{httpAddress}:{port}", "--data", dataDirectory,
            "--route", route, "--hostname", hostName, "--poll", "200ms", "--lease", "5s", "--retry-first", "1s", "--retry-max", "2s",
            "--smtp", smtpPort == 0 ? "none" : $"127.0.0.1:{smtpPort}"])
        {
            info.ArgumentList.Add(arg);
        }
        foreach (string arg in extraArgs ?? [])
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        var process = new Process { StartInfo = info };
        var serve = new ServeProcess(process, port, smtpPort, dataDirectory);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (serve._stderr) { serve._stderr.AppendLine(line); }
                if (line.Contains("HTTP API on", StringComparison.Ordinal))
                {
                    serve._listening.TrySetResult();
                }
            }
        };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (serve._stdout) { serve._stdout.AppendLine(line); }
            }
        };
        process.Exited += (_, _) => serve._listening.TrySetException(new InvalidOperationException("mailbroker serve exited before listening."));
        process.EnableRaisingEvents = true;
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            await serve._listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            await serve.DisposeAsync();
            Assert.Fail($"mailbroker serve did not start on port {port}: {ex.Message}\n{serve.Stderr}");
        }
        return serve;
    }

    /// <summary>An HTTP client for the server, with <paramref name="secret"/> as the bearer key if given.</summary>
    public HttpClient Client(string? secret = null)
    {
        var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (secret is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        }
        return client;
    }

    /// <summary>Creates an API key with the CLI, as an operator would; returns the secret.</summary>
    public async Task<string> CreateKeyAsync(string name, params string[] domains)
    {
        List<string> args = ["keys", "create", "--name", name, "--data", DataDirectory];
        foreach (string domain in domains)
        {
            args.AddRange(["--domain", domain]);
        }
        CliResult result = await CliProcess.RunAsync([.. args]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return Assert.Single(result.StdoutLines);
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, then waits for a graceful exit; returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill!.WaitForExitAsync();
        }
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    /// <summary>A port nothing listens on in [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>).</summary>
    public static int FreePort(int first = 28000, int count = 100)
    {
        // The task's port range; start at a random place so a leftover process from an earlier run does not collide.
        int start = Random.Shared.Next(count);
        for (int i = 0; i < count; i++)
        {
            int port = first + ((start + i) % count);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return port;
            }
            catch (SocketException)
            {
            }
        }
        throw new InvalidOperationException($"No free port in {first}-{first + count - 1}.");
    }
}
