using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace ModernMail.Benchmarks.Intake;

/// <summary>
/// End-to-end intake benchmark of a running server (console mode, not BenchmarkDotNet): C concurrent clients submit N
/// ~100 KB messages (HTML + text + 70 KiB attachment, to 20 domains) and the server delivers them into a Postfix
/// smtp-sink started with <c>-c</c>, whose counter output (a file) tells when the last one arrived.
/// Usage: intake &lt;http|smtp|smtp-source&gt; &lt;target&gt; &lt;credential&gt; &lt;concurrency&gt; &lt;messages&gt; &lt;sink-counter-file&gt; [server-pid]
/// <list type="bullet">
/// <item>http: target is the API base URL, credential the bearer secret; POST /v1/messages, latency until the 202.</item>
/// <item>smtp: target HOST:PORT of the submission listener, credential NAME:SECRET; MailKit over STARTTLS + AUTH
/// PLAIN, one connection per client (NoDelay), latency of MAIL..final dot until the 250.</item>
/// <item>smtp-source: target HOST:PORT of an MTA (Postfix); runs Postfix's smtp-source (unsigned, no MIME); no latencies.</item>
/// </list>
/// Connections are opened and a warm-up batch is delivered before the clock starts. Prints one markdown table row.
/// </summary>
internal static class IntakeLoad
{
    private const int Domains = 20;
    // Postfix's warm-up (no JIT: connections and processes only).
    private const int WarmUp = 1000;

    // The server's warm-up goes on in batches until tiered compilation is done: on this busy 2-core machine the JIT's
    // background thread still took a third of the server's CPU after 1,000 messages (R2R and tier-0 code recompiled at
    // tier 1 with PGO, for ASP.NET Core, System.Text.Json, SQLite and ours).
    private const int WarmUpBatch = 250;
    private const int MinWarmUpBatches = 4;
    private const int MaxWarmUpBatches = 40;

    public static int Run(string[] args)
    {
        if (args.Length < 6)
        {
            Console.Error.WriteLine("usage: intake <http|smtp|smtp-source> <url|host:port> <secret|name:secret|-> <concurrency> <messages> <sink-counter-file> [server-pid]");
            return 2;
        }
        string mode = args[0];
        string target = args[1];
        string credential = args[2];
        int concurrency = int.Parse(args[3], CultureInfo.InvariantCulture);
        int messages = int.Parse(args[4], CultureInfo.InvariantCulture);
        var sink = new SinkCounter(args[5]);
        int? serverPid = args.Length > 6 ? int.Parse(args[6], CultureInfo.InvariantCulture) : null;
        return mode switch
        {
            "http" => RunHttpAsync(new Uri(target), credential, concurrency, messages, sink, serverPid).GetAwaiter().GetResult(),
            "smtp" => RunSmtpAsync(target, credential, concurrency, messages, sink, serverPid).GetAwaiter().GetResult(),
            "smtp-source" => RunSmtpSourceAsync(target, concurrency, messages, sink, serverPid).GetAwaiter().GetResult(),
            _ => throw new ArgumentException("unknown mode " + mode),
        };
    }

    private static async Task<int> RunHttpAsync(Uri baseAddress, string secret, int concurrency, int messages, SinkCounter sink, int? serverPid)
    {
        var body = new HttpBody();
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = concurrency })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromMinutes(2),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);

        async Task<bool> SubmitAsync(int i)
        {
            using var content = new ByteArrayContent(body.For(Recipient(i)));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await client.PostAsync("/v1/messages", content);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                return true;
            }
            Console.Error.WriteLine($"message {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            return false;
        }

        return await MeasureAsync("ModernMail HTTP", concurrency, messages, sink, serverPid,
            () => Task.FromResult<Func<int, Task<bool>>>(SubmitAsync), () => Task.CompletedTask);
    }

    private static async Task<int> RunSmtpAsync(string target, string credential, int concurrency, int messages, SinkCounter sink, int? serverPid)
    {
        var endpoint = IPEndPoint.Parse(target);
        int colon = credential.IndexOf(':', StringComparison.Ordinal);
        string user = credential[..colon];
        string password = credential[(colon + 1)..];
        // The same content the HTTP side gets composed into, as MIME; each send only varies the envelope. One parsed copy
        // per connection: MimeKit seeks a part's content stream while writing it, so copies must not be shared.
        byte[] mime = Message.Mime();
        var sender = new MailboxAddress("", Message.From);
        var clients = new List<(SmtpClient Client, MimeMessage Message)>();

        async Task<Func<int, Task<bool>>> OpenAsync()
        {
            var client = new SmtpClient { LocalDomain = "client.bench", ServerCertificateValidationCallback = (_, _, _, _) => true };
            // Our own socket with NoDelay: MailKit's default connect leaves Nagle on, which costs ~40 ms per message.
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(endpoint);
            await client.ConnectAsync(socket, endpoint.Address.ToString(), endpoint.Port, SecureSocketOptions.StartTls);
            await client.AuthenticateAsync(user, password);
            var message = MimeMessage.Load(new MemoryStream(mime));
            lock (clients)
            {
                clients.Add((client, message));
            }
            return async i =>
            {
                try
                {
                    await client.SendAsync(message, sender, [new MailboxAddress("", Recipient(i))]);
                    return true;
                }
                catch (Exception ex) when (ex is SmtpCommandException or SmtpProtocolException or IOException)
                {
                    Console.Error.WriteLine($"message {i}: {ex.Message}");
                    return false;
                }
            };
        }

        async Task CloseAsync()
        {
            foreach (var (client, message) in clients)
            {
                await client.DisconnectAsync(quit: true);
                client.Dispose();
                message.Dispose();
            }
        }

        return await MeasureAsync("ModernMail SMTP", concurrency, messages, sink, serverPid, OpenAsync, CloseAsync, perClient: true);
    }

    private static async Task<int> RunSmtpSourceAsync(string target, int concurrency, int messages, SinkCounter sink, int? masterPid)
    {
        // smtp-source -c -l 100000: the same size and sessions, one recipient domain (it takes one -t), unsigned.
        async Task RunAsync(int count)
        {
            using var process = Process.Start(new ProcessStartInfo("smtp-source",
                ["-c", "-l", "100000", "-m", count.ToString(CultureInfo.InvariantCulture), "-s", concurrency.ToString(CultureInfo.InvariantCulture),
                 "-f", Message.From, "-t", "user@d0.bench", target])
            { RedirectStandardOutput = true, UseShellExecute = false })!;
            await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"smtp-source exited {process.ExitCode}");
            }
        }

        long before = sink.Read();
        await RunAsync(WarmUp);
        await sink.WaitForAsync(before + WarmUp, TimeSpan.FromMinutes(2));
        before = sink.Read();
        TimeSpan postfixBefore = TreeCpu(masterPid);
        TimeSpan clientBefore = TreeCpu(Environment.ProcessId) - ServerCpu(Environment.ProcessId);
        var clock = Stopwatch.StartNew();
        await RunAsync(messages);
        double intake = clock.Elapsed.TotalSeconds;
        long delivered = await sink.WaitForAsync(before + messages, TimeSpan.FromMinutes(10)) - before;
        double done = clock.Elapsed.TotalSeconds;
        TimeSpan postfix = TreeCpu(masterPid) - postfixBefore;
        // smtp-source's CPU: what our reaped children used (this process's own CPU is left out).
        TimeSpan client = TreeCpu(Environment.ProcessId) - ServerCpu(Environment.ProcessId) - clientBefore;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| Postfix (smtp-source → Postfix → sink, unsigned) | {messages} | {concurrency} | {messages / intake:0} | {delivered / done:0} | - | - | {(masterPid is null ? "-" : postfix.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture))} | {client.TotalSeconds:0.0} |"));
        return delivered == messages ? 0 : 1;
    }

    /// <summary>Opens the clients, warms up, then runs <paramref name="messages"/> submissions on <paramref name="concurrency"/>
    /// loops and waits for the sink to count them all. <paramref name="open"/> opens one client and returns its submit
    /// function: once per loop when <paramref name="perClient"/>, else once for all (HTTP's shared client).</summary>
    private static async Task<int> MeasureAsync(string name, int concurrency, int messages, SinkCounter sink, int? serverPid,
        Func<Task<Func<int, Task<bool>>>> open, Func<Task> close, bool perClient = false)
    {
        var submitters = new Func<int, Task<bool>>[concurrency];
        for (int w = 0; w < concurrency; w++)
        {
            submitters[w] = perClient || w == 0 ? await open() : submitters[0];
        }
        // Warm up: JIT on both sides, connections open, the worker's connections to the sink in its pool.
        for (int batch = 0; batch < MaxWarmUpBatches; batch++)
        {
            var jitBefore = ThreadTicks(serverPid, ".NET Tiered Com");
            TimeSpan cpuBefore = ServerCpu(serverPid);
            long sent = sink.Read();
            await RunLoopsAsync(submitters, WarmUpBatch, offset: 1_000_000 + (batch * WarmUpBatch), latencies: null);
            await sink.WaitForAsync(sent + WarmUpBatch, TimeSpan.FromMinutes(2));
            double jit = TicksSince(jitBefore, ThreadTicks(serverPid, ".NET Tiered Com")) / 100.0;
            double cpu = (ServerCpu(serverPid) - cpuBefore).TotalSeconds;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name} warm-up {(batch + 1) * WarmUpBatch}: server CPU {cpu:0.00} s, of which tiered JIT {jit:0.00} s"));
            if (batch + 1 >= MinWarmUpBatches && jit <= 0.03 * cpu)
            {
                break;
            }
        }

        long before = sink.Read();
        TimeSpan serverCpuBefore = ServerCpu(serverPid);
        using var self = Process.GetCurrentProcess();
        TimeSpan clientCpuBefore = self.TotalProcessorTime;
        var latencies = new double[messages];
        var clock = Stopwatch.StartNew();
        int accepted = await RunLoopsAsync(submitters, messages, offset: 0, latencies);
        double intake = clock.Elapsed.TotalSeconds;
        self.Refresh();
        TimeSpan clientCpu = self.TotalProcessorTime - clientCpuBefore;
        long delivered = await sink.WaitForAsync(before + accepted, TimeSpan.FromMinutes(10)) - before;
        double done = clock.Elapsed.TotalSeconds;
        TimeSpan serverCpu = ServerCpu(serverPid) - serverCpuBefore;
        await close();

        Array.Sort(latencies);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {messages} | {concurrency} | {accepted / intake:0} | {delivered / done:0} | {Percentile(latencies, 0.50):0.0} | {Percentile(latencies, 0.99):0.0} | {(serverPid is null ? "-" : serverCpu.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture))} | {clientCpu.TotalSeconds:0.0} |"));
        return accepted == messages && delivered == messages ? 0 : 1;
    }

    private static async Task<int> RunLoopsAsync(Func<int, Task<bool>>[] submitters, int messages, int offset, double[]? latencies)
    {
        int next = -1;
        int accepted = 0;
        var loops = new Task[submitters.Length];
        for (int w = 0; w < submitters.Length; w++)
        {
            var submit = submitters[w];
            loops[w] = Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < messages)
                {
                    long start = Stopwatch.GetTimestamp();
                    bool ok = await submit(offset + i);
                    if (latencies is not null)
                    {
                        latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    }
                    if (ok)
                    {
                        Interlocked.Increment(ref accepted);
                    }
                }
            });
        }
        await Task.WhenAll(loops);
        return accepted;
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[(int)Math.Round(p * (sorted.Length - 1))];

    private static string Recipient(int i) => $"user{i}@d{i % Domains}.bench";

    /// <summary>User + system CPU of a process from /proc (clock ticks are 100 Hz on Linux).</summary>
    private static TimeSpan ServerCpu(int? pid)
    {
        if (pid is null)
        {
            return TimeSpan.Zero;
        }
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    /// <summary>CPU of a process, of its reaped children, and of its live children: Postfix's master and the daemons it
    /// forks (smtpd, cleanup, qmgr, smtp, ...), which come and go.</summary>
    private static TimeSpan TreeCpu(int? pid)
    {
        if (pid is null)
        {
            return TimeSpan.Zero;
        }
        // After the command name: utime is field 14, stime 15, cutime 16, cstime 17 (1-based, of the whole line).
        string[] own = StatFields(File.ReadAllText($"/proc/{pid}/stat"));
        long ticks = long.Parse(own[11], CultureInfo.InvariantCulture) + long.Parse(own[12], CultureInfo.InvariantCulture)
            + long.Parse(own[13], CultureInfo.InvariantCulture) + long.Parse(own[14], CultureInfo.InvariantCulture);
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out _))
            {
                continue;
            }
            try
            {
                string[] fields = StatFields(File.ReadAllText(Path.Combine(dir, "stat")));
                if (fields[1] == pid.Value.ToString(CultureInfo.InvariantCulture))
                {
                    ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked: its CPU is in the parent's cutime now.
            }
        }
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    /// <summary>The fields of a /proc stat line after the ")" that closes the command name (state first, then ppid, ...).</summary>
    private static string[] StatFields(string stat) => stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

    /// <summary>CPU clock ticks by thread id of the server's threads named <paramref name="name"/> (/proc/PID/task/TID/stat).</summary>
    private static Dictionary<int, long> ThreadTicks(int? pid, string name)
    {
        var ticks = new Dictionary<int, long>();
        if (pid is null)
        {
            return ticks;
        }
        foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                string stat = File.ReadAllText(Path.Combine(task, "stat"));
                int open = stat.IndexOf('(', StringComparison.Ordinal);
                int close = stat.LastIndexOf(')');
                if (stat[(open + 1)..close] == name)
                {
                    string[] fields = stat[(close + 2)..].Split(' ');
                    ticks[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] =
                        long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
                // The thread ended while we looked.
            }
        }
        return ticks;
    }

    /// <summary>Ticks the threads used between two looks (a thread that ended in between is not counted: it was idle at the end).</summary>
    private static long TicksSince(Dictionary<int, long> before, Dictionary<int, long> after)
    {
        long total = 0;
        foreach (var (tid, now) in after)
        {
            total += now - before.GetValueOrDefault(tid);
        }
        return total;
    }

    /// <summary>The message both doors get: the shape of the delivery benchmark's (~100 KB on the wire).</summary>
    private static class Message
    {
        public const string From = "bench@sender.test";

        public static readonly string Html = "<html><body><h1>Report</h1>" + string.Concat(Enumerable.Repeat("<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>", 150)) + "</body></html>";

        public static readonly string Text = string.Concat(Enumerable.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n", 100));

        public static readonly byte[] Attachment = CreateAttachment();

        private static byte[] CreateAttachment()
        {
            var bytes = new byte[70 * 1024];
            new Random(3).NextBytes(bytes);
            return bytes;
        }

        /// <summary>The same content as MIME (composed by ModernMail's writer, unsigned), for the SMTP client.</summary>
        public static byte[] Mime()
        {
            using var msg = new System.Net.Mail.MailMessage(new System.Net.Mail.MailAddress(From, "Bench Sender"), new System.Net.Mail.MailAddress(Recipient(0)))
            {
                Subject = "Benchmark message",
                Body = Html,
                IsBodyHtml = true,
            };
            msg.AlternateViews.Add(System.Net.Mail.AlternateView.CreateAlternateViewFromString(Text, Encoding.UTF8, "text/plain"));
            msg.Attachments.Add(new System.Net.Mail.Attachment(new MemoryStream(Attachment, writable: false), "data.bin", "application/octet-stream"));
            using var output = new MemoryStream();
            ModernMail.Mime.MailMessageWriter.WriteAsync(msg, output, new ModernMail.Mime.MailWriterOptions { HostName = "client.bench" }).GetAwaiter().GetResult();
            return output.ToArray();
        }
    }

    /// <summary>The JSON body of POST /v1/messages, serialized once around a recipient placeholder.</summary>
    private sealed class HttpBody
    {
        private const string Placeholder = "RECIPIENT-PLACEHOLDER";

        // As most clients write JSON: '+' and '<' literally, not as \u002B (the default encoder's choice, which makes the
        // base64 ~8% longer and makes the server unescape it).
        private static readonly JsonSerializerOptions s_json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        private readonly byte[] _head;
        private readonly byte[] _tail;

        public HttpBody()
        {
            string json = JsonSerializer.Serialize(new
            {
                from = "Bench Sender <" + Message.From + ">",
                to = new[] { Placeholder },
                subject = "Benchmark message",
                text = Message.Text,
                html = Message.Html,
                attachments = new[] { new { filename = "data.bin", contentType = "application/octet-stream", content = Convert.ToBase64String(Message.Attachment) } },
            }, s_json);
            int at = json.IndexOf(Placeholder, StringComparison.Ordinal);
            _head = Encoding.UTF8.GetBytes(json[..at]);
            _tail = Encoding.UTF8.GetBytes(json[(at + Placeholder.Length)..]);
        }

        public byte[] For(string recipient)
        {
            var body = new byte[_head.Length + Encoding.UTF8.GetByteCount(recipient) + _tail.Length];
            _head.CopyTo(body, 0);
            int n = Encoding.UTF8.GetBytes(recipient, body.AsSpan(_head.Length));
            _tail.CopyTo(body, _head.Length + n);
            return body;
        }
    }

    /// <summary>Reads smtp-sink's <c>-c</c> counter ("sess=N quit=N mesg=N\r" per event) from the file its stdout goes to.</summary>
    private sealed class SinkCounter(string path)
    {
        public long Read()
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var tail = new byte[Math.Min(256, file.Length)];
            file.Seek(-tail.Length, SeekOrigin.End);
            file.ReadExactly(tail);
            string text = Encoding.ASCII.GetString(tail);
            // The last complete counter: the sink may be in the middle of writing the next one.
            for (int at = text.LastIndexOf("mesg=", StringComparison.Ordinal); at >= 0; at = at == 0 ? -1 : text.LastIndexOf("mesg=", at - 1, StringComparison.Ordinal))
            {
                int end = at + 5;
                while (end < text.Length && char.IsAsciiDigit(text[end]))
                {
                    end++;
                }
                if (end > at + 5 && end < text.Length && text[end] == '\r')
                {
                    return long.Parse(text.AsSpan(at + 5, end - at - 5), CultureInfo.InvariantCulture);
                }
            }
            return 0;
        }

        /// <summary>Polls every 10 ms until the count reaches <paramref name="target"/> or stops moving for <paramref name="stall"/>.</summary>
        public async Task<long> WaitForAsync(long target, TimeSpan stall)
        {
            long last = Read();
            var still = Stopwatch.StartNew();
            while (last < target && still.Elapsed < stall)
            {
                await Task.Delay(10);
                long now = Read();
                if (now != last)
                {
                    last = now;
                    still.Restart();
                }
            }
            if (last < target)
            {
                Console.Error.WriteLine($"sink stopped at {last}, expected {target}");
            }
            return last;
        }
    }
}
