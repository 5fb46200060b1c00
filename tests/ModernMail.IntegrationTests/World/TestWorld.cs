using System.Net;
using System.Net.Sockets;

namespace ModernMail.IntegrationTests.World;

/// <summary>
/// The loopback test world started by <c>scripts/testworld/up.sh</c>: addresses, domains, paths
/// and helpers to wait for delivered mail. See <c>scripts/testworld/README.md</c>.
/// </summary>
public static class TestWorld
{
    /// <summary>The authoritative DNS server (dnsmasq) for <c>test.</c> and <c>127.in-addr.arpa</c>.</summary>
    public static readonly IPEndPoint DnsServer = new(IPAddress.Loopback, 5300);

    /// <summary>The unbound resolver that forwards to <see cref="DnsServer"/> (used by OpenDKIM).</summary>
    public static readonly IPEndPoint Resolver = new(IPAddress.Loopback, 5301);

    /// <summary>knot, authoritative for the DNSSEC-signed <c>dane.test.</c> and the unsigned <c>nodane.test.</c>; it never sets AD.</summary>
    public static readonly IPEndPoint SignedZoneServer = new(IPAddress.Loopback, 5302);

    /// <summary>The validating unbound: trust anchor of <c>dane.test.</c>, stub zones to <see cref="SignedZoneServer"/>, the rest forwarded to <see cref="DnsServer"/>.</summary>
    public static readonly IPEndPoint ValidatingResolver = new(IPAddress.Loopback, 5303);

    /// <summary>The signed zone of the DANE tests; MX 10 <c>mx-ok.dane.test</c>. Hosts and their TLSA records: scripts/testworld/README.md.</summary>
    public const string DaneDomain = "dane.test";

    /// <summary>The unsigned zone of the DANE tests: its TLSA records must be ignored.</summary>
    public const string NoDaneDomain = "nodane.test";

    /// <summary>The Postfix MX: 127.0.0.1:25 with STARTTLS.</summary>
    public static readonly IPEndPoint MxAddress = new(IPAddress.Loopback, 25);

    /// <summary>
    /// A second listener of the same Postfix MX: 127.0.0.1:2525, same domains and Maildirs, STARTTLS offered, never a
    /// milter. The crash test, which kills clients mid-transaction, uses it.
    /// </summary>
    public static readonly IPEndPoint NoMilterMx = new(IPAddress.Loopback, 2525);

    /// <summary>The OpenDKIM daemon the world keeps running (no longer a Postfix milter: DKIM is verified at delivery by dkimpy).</summary>
    public static readonly IPEndPoint OpenDkimAddress = new(IPAddress.Loopback, 8891);

    /// <summary>The address of <c>dead.deadfirst.test</c>, where nothing listens.</summary>
    public static readonly IPAddress DeadMxIp = IPAddress.Parse("127.0.0.9");

    /// <summary>The MX host name of every test domain; A 127.0.0.1, PTR of 127.0.0.1.</summary>
    public const string MxHost = "mx.a.test";

    /// <summary>The dead first MX host of <see cref="DeadFirstDomain"/> (A 127.0.0.9).</summary>
    public const string DeadMxHost = "dead.deadfirst.test";

    /// <summary>MX 10 mx.a.test; mail is delivered into Maildirs.</summary>
    public const string DomainA = "a.test";

    /// <summary>MX 10 mx.a.test; mail is delivered into Maildirs.</summary>
    public const string DomainB = "b.test";

    /// <summary>No MX, A 127.0.0.1 (implicit MX, RFC 5321 §5.1).</summary>
    public const string ImplicitMxDomain = "implicit.test";

    /// <summary>Null MX <c>MX 0 .</c> (RFC 7505): accepts no mail.</summary>
    public const string NullMxDomain = "nullmx.test";

    /// <summary>MX 10 dead.deadfirst.test (nothing listens), MX 20 mx.a.test.</summary>
    public const string DeadFirstDomain = "deadfirst.test";

    /// <summary>Does not exist: NXDOMAIN.</summary>
    public const string NoSuchDomain = "nosuch.test";

    /// <summary>The sending domain: SPF, DMARC p=reject and DKIM keys for both test selectors.</summary>
    public const string SenderDomain = "sender.test";

    /// <summary>DKIM selector of the committed RSA-2048 test key.</summary>
    public const string RsaSelector = "rsa2048";

    /// <summary>DKIM selector of the committed Ed25519 test key.</summary>
    public const string Ed25519Selector = "ed25519";

    /// <summary>The root of the Maildirs: <c>MailRoot/&lt;domain&gt;/&lt;localpart&gt;/{new,cur,tmp}</c>.</summary>
    public const string MailRoot = "/var/spool/testworld/mail";

    /// <summary>The Postfix log (every SMTP session and delivery).</summary>
    public const string PostfixLog = "/var/spool/testworld/postfix.log";

    /// <summary>The MX's throwaway self-signed certificate (PEM).</summary>
    public const string TlsCertificatePath = "/var/spool/testworld/etc/tls.crt";

    /// <summary>The test world's PostgreSQL database.</summary>
    public const string PostgresConnectionString =
        "Host=127.0.0.1;Port=5432;Username=modernmail;Password=modernmail;Database=modernmail";

    private static readonly Lazy<string> s_repoRoot = new(FindRepoRoot);
    private static readonly Lazy<string?> s_downReason = new(ProbeWorld);
    private static readonly Lazy<string?> s_daneDownReason = new(() => Probe([("knot", SignedZoneServer), ("validating unbound", ValidatingResolver)]));

    /// <summary>The repository root (the directory holding ModernMail.slnx).</summary>
    public static string RepoRoot => s_repoRoot.Value;

    /// <summary>The committed throwaway RSA-2048 key (PKCS#8 PEM), published as rsa2048._domainkey.sender.test.</summary>
    public static string RsaKeyPath => Path.Combine(RepoRoot, "tests", "testdata", "dkim", "rsa2048.pem");

    /// <summary>The committed throwaway Ed25519 key (PKCS#8 PEM), published as ed25519._domainkey.sender.test.</summary>
    public static string Ed25519KeyPath => Path.Combine(RepoRoot, "tests", "testdata", "dkim", "ed25519.pem");

    /// <summary>Throws with a clear message when the world's servers do not answer.</summary>
    /// <exception cref="InvalidOperationException">The world is not running.</exception>
    public static void EnsureUp()
    {
        if (s_downReason.Value is { } reason)
        {
            throw new InvalidOperationException(
                $"The loopback test world is not running ({reason}). As root, run scripts/testworld/install.sh once, then scripts/testworld/up.sh.");
        }
    }

    /// <summary>Throws with a clear message when knot or the validating unbound of the DANE tests do not answer.</summary>
    /// <exception cref="InvalidOperationException">They are not running.</exception>
    public static void EnsureDaneUp()
    {
        EnsureUp();
        if (s_daneDownReason.Value is { } reason)
        {
            throw new InvalidOperationException(
                $"The DNSSEC part of the test world is not running ({reason}). As root, run scripts/testworld/up.sh (or scripts/testworld/dane.sh).");
        }
    }

    /// <summary>Returns a fresh recipient address <c>prefix-&lt;random&gt;@domain</c> (lower case), one per test.</summary>
    public static string Unique(string prefix = "t", string domain = DomainA)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        return $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)].ToLowerInvariant() + "@" + domain.ToLowerInvariant();
    }

    /// <summary>Returns the Maildir of an address; Postfix folds the address to lower case.</summary>
    public static string MailboxPath(string address)
    {
        var at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1)
        {
            throw new ArgumentException($"'{address}' is not a local@domain address.", nameof(address));
        }
        return Path.Combine(MailRoot, address[(at + 1)..].ToLowerInvariant(), address[..at].ToLowerInvariant());
    }

    /// <summary>Lists the messages delivered to an address so far (Maildir new/ and cur/), oldest first.</summary>
    public static IReadOnlyList<string> GetMessages(string address)
    {
        var box = MailboxPath(address);
        var files = new List<string>();
        foreach (var sub in (ReadOnlySpan<string>)["new", "cur"])
        {
            var dir = Path.Combine(box, sub);
            if (Directory.Exists(dir))
            {
                files.AddRange(Directory.GetFiles(dir));
            }
        }
        // Maildir names start with the delivery time in seconds, then a per-delivery counter.
        files.Sort((x, y) => File.GetLastWriteTimeUtc(x).CompareTo(File.GetLastWriteTimeUtc(y)) is var c && c != 0
            ? c
            : string.CompareOrdinal(x, y));
        return files;
    }

    /// <summary>
    /// Waits until at least <paramref name="count"/> messages have been delivered to
    /// <paramref name="address"/> and returns their paths.
    /// </summary>
    /// <exception cref="TimeoutException">Fewer messages arrived in time; the message quotes the Postfix log.</exception>
    public static async Task<IReadOnlyList<string>> WaitForMessagesAsync(
        string address, int count = 1, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        EnsureUp();
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var started = TimeProvider.System.GetTimestamp();
        while (true)
        {
            var files = GetMessages(address);
            if (files.Count >= count)
            {
                return files;
            }
            if (TimeProvider.System.GetElapsedTime(started) > limit)
            {
                throw new TimeoutException(
                    $"{files.Count} of {count} message(s) arrived for {address} in {MailboxPath(address)} within {limit.TotalSeconds:0.#} s. Postfix log:\n{PostfixLogFor(address)}");
            }
            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Reads a delivered message (Postfix stores it with LF line endings).</summary>
    public static byte[] ReadMessage(string path) => File.ReadAllBytes(path);

    /// <summary>Deletes every message delivered to an address.</summary>
    public static void ClearMailbox(string address)
    {
        var box = MailboxPath(address);
        if (Directory.Exists(box))
        {
            Directory.Delete(box, recursive: true);
        }
    }

    /// <summary>Returns the Postfix log lines about an address (its queue ids' lines too), for failure messages.</summary>
    public static string PostfixLogFor(string address)
    {
        if (!File.Exists(PostfixLog))
        {
            return "(no " + PostfixLog + ")";
        }
        string[] lines;
        using (var stream = new FileStream(PostfixLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var reader = new StreamReader(stream))
        {
            lines = reader.ReadToEnd().Split('\n');
        }
        var needle = "<" + address.ToLowerInvariant() + ">";
        var queueIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            if (line.Contains(needle, StringComparison.OrdinalIgnoreCase) && QueueId(line) is { } id)
            {
                queueIds.Add(id);
            }
        }
        var picked = lines.Where(l => l.Contains(needle, StringComparison.OrdinalIgnoreCase)
            || (QueueId(l) is { } id && queueIds.Contains(id))).TakeLast(40).ToList();
        return picked.Count == 0 ? "(nothing about " + address + ")" : string.Join('\n', picked);
    }

    // "Nov 28 12:48:30 mx postfix/pipe[24802]: 2597CEA15F: to=<...>" -> "2597CEA15F"
    private static string? QueueId(string line)
    {
        var start = line.IndexOf("]: ", StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }
        start += 3;
        var end = line.IndexOf(": ", start, StringComparison.Ordinal);
        if (end <= start || end - start > 20)
        {
            return null;
        }
        var id = line[start..end];
        return id.All(char.IsAsciiLetterOrDigit) ? id : null;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ModernMail.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("ModernMail.slnx not found above " + AppContext.BaseDirectory);
    }

    private static string? ProbeWorld() =>
        Probe([("Postfix", MxAddress), ("dnsmasq", DnsServer), ("OpenDKIM", OpenDkimAddress), ("unbound", Resolver)])
        ?? (Directory.Exists(MailRoot) ? null : MailRoot + " does not exist");

    private static string? Probe(ReadOnlySpan<(string Name, IPEndPoint EndPoint)> servers)
    {
        foreach (var (name, endPoint) in servers)
        {
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                socket.ConnectAsync(endPoint, cts.Token).AsTask().GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                return $"{name} does not answer on {endPoint}: {e.Message}";
            }
        }
        return null;
    }
}
