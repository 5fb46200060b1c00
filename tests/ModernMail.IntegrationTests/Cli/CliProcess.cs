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
    private static readonly Lazy<string> s_nobodyToolPath = new(CopyToolForNobody);

    /// <summary>The tool built in the same configuration as this test assembly.</summary>
    public static string ToolPath => s_toolPath.Value;

    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(args, stdin: null, TimeSpan.FromSeconds(90));

    /// <summary>Runs the tool as the unprivileged user "nobody" (via setpriv), as an operator's service account would.</summary>
    public static Task<CliResult> RunAsNobodyAsync(params string[] args) => RunAsync(args, stdin: null, TimeSpan.FromSeconds(90), asNobody: true);

    public static async Task<CliResult> RunAsync(IReadOnlyList<string> args, string? stdin, TimeSpan timeout, Action<Process>? started = null, bool asNobody = false)
    {
        using Process process = Start(args, asNobody);
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

    private static Process Start(IReadOnlyList<string> args, bool asNobody)
    {
        var info = new ProcessStartInfo(asNobody ? "setpriv" : "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asNobody)
        {
            foreach (string arg in (string[])["--reuid=65534", "--regid=65534", "--clear-groups", "dotnet"])
            {
                info.ArgumentList.Add(arg);
            }
            info.Environment["HOME"] = Path.GetTempPath();
            info.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
        }
        info.ArgumentList.Add(asNobody ? s_nobodyToolPath.Value : ToolPath);
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

    /// <summary>A world-readable copy of the built tool: the checkout may live under a directory "nobody" cannot enter.</summary>
    private static string CopyToolForNobody()
    {
        string source = Path.GetDirectoryName(ToolPath)!;
        string target = Path.Combine(Path.GetTempPath(), "mm-cli-nobody-" + Guid.NewGuid().ToString("N"));
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string copy = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
            File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        foreach (string directory in Directory.EnumerateDirectories(target, "*", SearchOption.AllDirectories).Append(target))
        {
            File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        }
        return Path.Combine(target, Path.GetFileName(ToolPath));
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
