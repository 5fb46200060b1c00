using System.Diagnostics;
using System.Text;
using ModernMail.Dkim;

namespace ModernMail.IntegrationTests.Dkim;

/// <summary>
/// The independent DKIM implementations from Debian packages: dkimpy (python3-dkim) and OpenDKIM
/// (opendkim: `opendkim -t` with TestPublicKeys; opendkim-tools: opendkim-testmsg). Keys are served
/// from files, so no DNS is involved.
/// </summary>
public sealed class DkimTools : IDisposable
{
    public const string Domain = "sender.test";
    public const string RsaSelector = "rsa2048";
    public const string Ed25519Selector = "ed25519";

    // One long-running dkimpy process answers requests line by line, so python starts (slowly) only once.
    private const string PythonScript = """
        import sys, dkim
        keys = dict(line.split(' ', 1) for line in open(sys.argv[1]).read().splitlines() if line)
        def dnsfunc(name, timeout=5):
            name = name.decode() if isinstance(name, bytes) else name
            return keys.get(name.rstrip('.'), '').encode()
        for request in sys.stdin:
            args = request.split()
            try:
                if args[0] == 'verify':
                    ok = dkim.DKIM(open(args[1], 'rb').read()).verify(idx=int(args[2]), dnsfunc=dnsfunc)
                    answer = 'pass' if ok else 'fail'
                else:
                    keyfile, selector, domain, algorithm, path, out = args[1:7]
                    message = open(path, 'rb').read()
                    signature = dkim.sign(message, selector.encode(), domain.encode(), open(keyfile, 'rb').read(),
                                          signature_algorithm=algorithm.encode(),
                                          include_headers=[b'from', b'to', b'subject', b'date', b'message-id'])
                    open(out, 'wb').write(signature + message)
                    answer = 'signed'
            except dkim.DKIMException as e:
                answer = 'fail ' + str(e).replace('\n', ' ')
            except Exception as e:
                answer = 'error ' + repr(e).replace('\n', ' ')
            print(answer, flush=True)
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("modernmail-dkim-").FullName;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private Process? _dkimpy;

    public DkimTools()
    {
        foreach (string tool in (string[])["/usr/bin/python3", "/usr/sbin/opendkim", "/usr/sbin/opendkim-testmsg"])
        {
            if (!File.Exists(tool))
            {
                throw new InvalidOperationException($"{tool} is missing: apt-get install -y python3-dkim opendkim opendkim-tools");
            }
        }

        Rsa = DkimKeyPair.GenerateRsa(2048);
        Ed25519 = DkimKeyPair.GenerateEd25519();
        File.WriteAllText(Path("rsa.pem"), Rsa.ExportPrivateKeyPem());
        File.WriteAllText(Path("ed25519.pem"), Ed25519.ExportPrivateKeyPem());
        // dkimpy takes an Ed25519 private key as the base64 of the 32-byte seed: the last 32 bytes of the PKCS#8 DER.
        byte[] der = Convert.FromBase64String(string.Concat(Ed25519.ExportPrivateKeyPem().Split('\n').Where(l => !l.StartsWith("-----"))));
        File.WriteAllText(Path("ed25519.seed"), Convert.ToBase64String(der[^32..]));
        File.WriteAllText(Path("keys.txt"), string.Concat(Records.Select(r => $"{r.Name} {r.Value}\n")));
        File.WriteAllText(Path("opendkim.conf"), $"Mode v\nSyslog no\nTestPublicKeys {Path("keys.txt")}\n");
        File.WriteAllText(Path("dkimtool.py"), PythonScript);
    }

    public DkimKeyPair Rsa { get; }

    public DkimKeyPair Ed25519 { get; }

    public DkimDnsRecord[] Records => [Rsa.CreateDnsRecord(Domain, RsaSelector), Ed25519.CreateDnsRecord(Domain, Ed25519Selector)];

    public DkimConfig Config(DkimKeyType keyType) =>
        keyType == DkimKeyType.Rsa ? Rsa.ToConfig(Domain, RsaSelector) : Ed25519.ToConfig(Domain, Ed25519Selector);

    /// <summary>dkimpy's verdict on signature number <paramref name="index"/>: "pass" or "fail".</summary>
    public async Task<string> DkimpyVerifyAsync(byte[] message, int index, CancellationToken cancellationToken)
    {
        string answer = await AskDkimpyAsync($"verify {WriteMessage(message)} {index}", cancellationToken);
        return answer == "pass" || answer.StartsWith("fail", StringComparison.Ordinal) ? answer.Split(' ')[0] : throw new InvalidOperationException("dkimpy: " + answer);
    }

    /// <summary>OpenDKIM's verdict on a message with one signature: "pass" or "fail".</summary>
    public async Task<string> OpenDkimVerifyAsync(byte[] message, CancellationToken cancellationToken)
    {
        // `opendkim -t` reports "message not signed" for a file whose last line has no line break. Over SMTP
        // the data always ends with CRLF (RFC 5321 §4.1.1.4), and both canonicalizations add that CRLF anyway.
        if (message.Length > 0 && message[^1] != (byte)'\n')
        {
            message = [.. message, (byte)'\r', (byte)'\n'];
        }

        string file = WriteMessage(message);
        (byte[] output, string error) = await RunAsync("/usr/sbin/opendkim", ["-x", Path("opendkim.conf"), "-t", file], cancellationToken);
        string text = Encoding.ASCII.GetString(output) + error;
        if (text.Contains(") succeeded", StringComparison.Ordinal))
        {
            return "pass";
        }

        return text.Contains(") failed", StringComparison.Ordinal) ? "fail" : throw new InvalidOperationException("opendkim: " + text);
    }

    /// <summary>Signs with dkimpy (relaxed/simple, its default) and returns the signed message.</summary>
    public async Task<byte[]> DkimpySignAsync(byte[] message, DkimKeyType keyType, CancellationToken cancellationToken)
    {
        string file = WriteMessage(message);
        string output = file + ".signed";
        string request = keyType == DkimKeyType.Rsa
            ? $"sign {Path("rsa.pem")} {RsaSelector} {Domain} rsa-sha256 {file} {output}"
            : $"sign {Path("ed25519.seed")} {Ed25519Selector} {Domain} ed25519-sha256 {file} {output}";
        string answer = await AskDkimpyAsync(request, cancellationToken);
        return answer == "signed" ? await File.ReadAllBytesAsync(output, cancellationToken) : throw new InvalidOperationException("dkimpy sign: " + answer);
    }

    /// <summary>Signs with OpenDKIM's library through opendkim-testmsg (its default: rsa-sha1) and returns the signed message.</summary>
    public async Task<byte[]> OpenDkimSignAsync(byte[] message, CancellationToken cancellationToken)
    {
        (byte[] output, string error) = await RunAsync("/usr/sbin/opendkim-testmsg", ["-C", "-d", Domain, "-s", RsaSelector, "-k", Path("rsa.pem")], cancellationToken, message);
        return output.Length > 0 ? output : throw new InvalidOperationException("opendkim-testmsg: " + error);
    }

    public void Dispose()
    {
        if (_dkimpy is { } process)
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(5000))
            {
                process.Kill();
            }

            process.Dispose();
        }

        _lock.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<string> AskDkimpyAsync(string request, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_dkimpy is null)
            {
                var start = new ProcessStartInfo("/usr/bin/python3")
                {
                    RedirectStandardInput = true,
                    RedirectStandardOutput = true,
                    UseShellExecute = false,
                };
                start.ArgumentList.Add(Path("dkimtool.py"));
                start.ArgumentList.Add(Path("keys.txt"));
                _dkimpy = Process.Start(start) ?? throw new InvalidOperationException("cannot start python3");
            }

            await _dkimpy.StandardInput.WriteLineAsync(request.AsMemory(), cancellationToken);
            await _dkimpy.StandardInput.FlushAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(120));
            return await _dkimpy.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("dkimpy exited");
        }
        finally
        {
            _lock.Release();
        }
    }

    private string Path(string name) => System.IO.Path.Combine(_dir, name);

    private string WriteMessage(byte[] message)
    {
        string file = Path(Guid.NewGuid().ToString("N") + ".eml");
        File.WriteAllBytes(file, message);
        return file;
    }

    private static async Task<(byte[] Output, string Error)> RunAsync(string program, string[] args, CancellationToken cancellationToken, byte[]? input = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + program);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var output = new MemoryStream();
        Task copy = process.StandardOutput.BaseStream.CopyToAsync(output, timeout.Token);
        Task<string> error = process.StandardError.ReadToEndAsync(timeout.Token);
        if (input is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(input, timeout.Token);
        }

        process.StandardInput.Close();
        await copy;
        string errorText = await error;
        await process.WaitForExitAsync(timeout.Token);
        return (output.ToArray(), errorText);
    }
}
