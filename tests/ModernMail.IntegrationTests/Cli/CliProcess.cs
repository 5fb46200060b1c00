using System.Diagnostics;
using System.Reflection;
using System.Text;
using ModernMail.IntegrationTests.World;

namespace ModernMail.IntegrationTests.Cli;

/// <summary>What one run of the built <c>mailbroker</c> tool did.</summary>
public sealed record CliResult(int ExitCode, byte[] StdoutBytes, string Stderr)
{
    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    public string[] StdoutLines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>Runs the built tool as a user would: <c>dotnet src/ModernMail.Cli/bin/&lt;cfg&gt;/net10.0/mailbroker.dll ...</c>.</summary>
public static class CliProcess
{
    private static readonly Lazy<string> s_toolPath = new(FindTool);

    /// <summary>The tool built in the same configuration as this test assembly.</summary>
    public static string ToolPath => s_toolPath.Value;

    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(args, stdin: null, TimeSpan.FromSeconds(90));

    public static async Task<CliResult> RunAsync(IReadOnlyList<string> args, string? stdin, TimeSpan timeout, Action<Process>? started = null)
    {
        using Process process = Start(args);
        started?.Invoke(process);
        Task<byte[]> stdout = ReadAllAsync(process.StandardOutput.BaseStream);
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"mailbroker {string.Join(' ', args)} did not exit within {timeout.TotalSeconds} s.");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    private static Process Start(IReadOnlyList<string> args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        info.ArgumentList.Add(ToolPath);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        return Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static string FindTool()
    {
        string configuration = typeof(CliProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        string path = Path.Combine(TestWorld.RepoRoot, "src", "ModernMail.Cli", "bin", configuration, "net10.0", "mailbroker.dll");
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} does not exist: build the solution in {configuration} first (dotnet build ModernMail.slnx -c {configuration}).");
    }
}
