using System.Diagnostics;
using ModernMail.Dkim;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Cli;

/// <summary>Verifies every DKIM signature of a message with dkimpy (Debian's python3-dkim), keys served by a dnsfunc, not DNS.</summary>
public static class DkimPy
{
    private const string Script = """
        import sys, dkim
        records = {}
        for arg in sys.argv[2:]:
            name, value = arg.split('=', 1)
            records[name.encode() + b'.'] = value.encode()
        def dnsfunc(name, timeout=5):
            return records.get(name if name.endswith(b'.') else name + b'.')
        message = open(sys.argv[1], 'rb').read()
        count = len([h for h in dkim.DKIM(message).headers if h[0].lower() == b'dkim-signature'])
        results = [dkim.DKIM(message).verify(idx=i, dnsfunc=dnsfunc) for i in range(count)]
        print(' '.join('pass' if r else 'fail' for r in results))
        """;

    /// <summary>The records of the committed test keys, as published for sender.test.</summary>
    public static IReadOnlyList<DkimDnsRecord> TestKeyRecords() =>
    [
        DkimKeyPair.FromPem(File.ReadAllText(TestWorld.RsaKeyPath)).CreateDnsRecord(TestWorld.SenderDomain, TestWorld.RsaSelector),
        DkimKeyPair.FromPem(File.ReadAllText(TestWorld.Ed25519KeyPath)).CreateDnsRecord(TestWorld.SenderDomain, TestWorld.Ed25519Selector),
    ];

    /// <summary>Returns one "pass" or "fail" per signature, in header order.</summary>
    public static async Task<string[]> VerifyAsync(byte[] message, IEnumerable<(string Name, string Value)> records)
    {
        string path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, message);
            var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(Script);
            info.ArgumentList.Add(path);
            foreach ((string name, string value) in records)
            {
                info.ArgumentList.Add($"{name}={value}");
            }

            using Process process = Process.Start(info) ?? throw new InvalidOperationException("python3 did not start.");
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"dkimpy failed: {await stderr}");
            return (await stdout).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static Task<string[]> VerifyAsync(byte[] message, IEnumerable<DkimDnsRecord> records) =>
        VerifyAsync(message, records.Select(r => (r.Name, r.Value)));
}
