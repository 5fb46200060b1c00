using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Mail;
using System.Net.Mime;
using System.Net.Sockets;
using System.Text;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using MimeKit.Cryptography;

namespace ModernMail.Benchmarks.Delivery;

/// <summary>
/// End-to-end delivery benchmark (console mode, not BenchmarkDotNet): N messages of ~100 KB (HTML + text + binary
/// attachment) to 20 domains, all routed to a Postfix smtp-sink on loopback, with C concurrent senders reusing
/// connections. Usage: e2e &lt;modernmail|modernmail-shaped|modernmail-telemetry|mailkit|mailkit-nodelay&gt; &lt;concurrency&gt; &lt;unsigned|dkim&gt; &lt;messages&gt; [sink host:port]
/// Run each configuration in its own process so peak memory is per configuration.
/// </summary>
internal static class DeliveryE2e
{
    private const int Domains = 20;

    private static int s_errors;

    public static int Run(string[] args)
    {
        if (args.Length < 4)
        {
            Console.Error.WriteLine("usage: e2e <modernmail|modernmail-shaped|modernmail-telemetry|mailkit|mailkit-nodelay> <concurrency> <unsigned|dkim> <messages> [127.0.0.1:2626]");
            return 2;
        }
        string client = args[0];
        int concurrency = int.Parse(args[1], CultureInfo.InvariantCulture);
        bool dkim = args[2] == "dkim";
        int messages = int.Parse(args[3], CultureInfo.InvariantCulture);
        var sink = IPEndPoint.Parse(args.Length > 4 ? args[4] : "127.0.0.1:2626");
        string pem = File.ReadAllText(Path.Combine(FindRepoRoot(), "tests", "testdata", "dkim", "rsa2048.pem"));
        var attachment = new byte[70 * 1024];
        new Random(3).NextBytes(attachment);

        // Warm up (JIT, first connections) with a few messages, then measure.
        RunOnce(client, concurrency, dkim, Math.Min(20, messages), sink, pem, attachment);
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var clock = Stopwatch.StartNew();
        int delivered = RunOnce(client, concurrency, dkim, messages, sink, pem, attachment);
        clock.Stop();
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        double allocatedMb = (GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore) / 1048576.0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {client} | {concurrency} | {(dkim ? "RSA-2048" : "none")} | {messages} | {delivered} | {messages / clock.Elapsed.TotalSeconds:0} | {cpu:0.00} | {process.PeakWorkingSet64 / 1048576.0:0} | {allocatedMb:0} |"));
        return delivered == messages ? 0 : 1;
    }

    private static int RunOnce(string client, int concurrency, bool dkim, int messages, IPEndPoint sink, string pem, byte[] attachment)
    {
        return client switch
        {
            "modernmail" => RunModernMailAsync(concurrency, dkim, messages, sink, pem, attachment, shaped: false).GetAwaiter().GetResult(),
            "modernmail-shaped" => RunModernMailAsync(concurrency, dkim, messages, sink, pem, attachment, shaped: true).GetAwaiter().GetResult(),
            "modernmail-telemetry" => RunWithTelemetry(() => RunModernMailAsync(concurrency, dkim, messages, sink, pem, attachment, shaped: false).GetAwaiter().GetResult()),
            "mailkit" => RunMailKitAsync(concurrency, dkim, messages, sink, pem, attachment, noDelay: false).GetAwaiter().GetResult(),
            "mailkit-nodelay" => RunMailKitAsync(concurrency, dkim, messages, sink, pem, attachment, noDelay: true).GetAwaiter().GetResult(),
            _ => throw new ArgumentException("unknown client " + client),
        };
    }

    /// <summary>Runs <paramref name="run"/> with every ModernMail instrument and span listened to, as an exporter would: each
    /// measurement is added to a sum, every span is sampled with all its data and counted when it stops.</summary>
    private static int RunWithTelemetry(Func<int> run)
    {
        long measurements = 0;
        long spans = 0;
        using var meters = new System.Diagnostics.Metrics.MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "ModernMail")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref measurements, 1));
        meters.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref measurements));
        meters.Start();
        using var activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "ModernMail",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _ => Interlocked.Increment(ref spans),
        };
        ActivitySource.AddActivityListener(activities);
        int delivered = run();
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"telemetry: {measurements} measurements, {spans} spans"));
        return delivered;
    }

    private static MailMessage CreateMessage(int i, byte[] attachment)
    {
        var msg = new MailMessage(new MailAddress("bench@sender.test", "Bench Sender"), new MailAddress($"user{i}@d{i % Domains}.bench"))
        {
            Subject = $"Benchmark message {i}",
            Body = "<html><body><h1>Report</h1>" + string.Concat(Enumerable.Repeat("<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>", 150)) + "</body></html>",
            IsBodyHtml = true,
        };
        msg.AlternateViews.Add(AlternateView.CreateAlternateViewFromString(
            string.Concat(Enumerable.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n", 100)), Encoding.UTF8, MediaTypeNames.Text.Plain));
        msg.Attachments.Add(new Attachment(new MemoryStream(attachment, writable: false), "data.bin", MediaTypeNames.Application.Octet));
        return msg;
    }

    // shaped: a traffic-shaping rule covers the benchmark domains with every limit set but far above what the run reaches,
    // so the row costs the shaping machinery alone (the static route is unshaped otherwise).
    private static async Task<int> RunModernMailAsync(int concurrency, bool dkim, int messages, IPEndPoint sink, string pem, byte[] attachment, bool shaped)
    {
        var config = new BrokerConfig
        {
            HostName = "sender.test",
            MaxIdleConnectionsPerHost = concurrency,
            MaxMessagesPerConnection = 100_000,
            Tls = TlsPolicy.Disabled,
        };
        config.Routes["*"] = sink.ToString();
        if (shaped)
        {
            config.Shaping.Rules.Add(new ModernMail.Delivery.Shaping.ShapingRule
            {
                Name = "bench",
                Domains = ["bench"],
                MaxConnections = 1000,
                MaxMessagesPerConnection = 100_000,
                MessagesPerMinute = 1_000_000,
                MessagesPerHour = 1_000_000,
                ConnectionsPerMinute = 10_000,
            });
        }
        if (dkim)
        {
            config.DkimConfig = DkimConfig.FromPem("sender.test", "rsa2048", pem);
        }
        await using var broker = new MailBroker(config);
        int next = -1;
        int delivered = 0;
        var workers = new Task[concurrency];
        for (int w = 0; w < concurrency; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < messages)
                {
                    using var msg = CreateMessage(i, attachment);
                    var results = await broker.SendAsync(msg);
                    if (results[0].Delivered)
                    {
                        Interlocked.Increment(ref delivered);
                    }
                    else if (Interlocked.Increment(ref s_errors) <= 3)
                    {
                        Console.Error.WriteLine(results[0].Detail);
                    }
                }
            });
        }
        await Task.WhenAll(workers);
        return delivered;
    }

    private static async Task<int> RunMailKitAsync(int concurrency, bool dkim, int messages, IPEndPoint sink, string pem, byte[] attachment, bool noDelay)
    {
        string keyFile = Path.Combine(Path.GetTempPath(), "modernmail-bench-rsa2048.pem");
        await File.WriteAllTextAsync(keyFile, pem);
        int next = -1;
        int delivered = 0;
        var workers = new Task[concurrency];
        for (int w = 0; w < concurrency; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                var signer = dkim
                    ? new MimeKit.Cryptography.DkimSigner(keyFile, "sender.test", "rsa2048")
                    {
                        HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
                        BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
                    }
                    : null;
                using var client = new MailKit.Net.Smtp.SmtpClient { LocalDomain = "sender.test" };
                if (noDelay)
                {
                    var socket = new Socket(sink.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    await socket.ConnectAsync(sink);
                    await client.ConnectAsync(socket, sink.Address.ToString(), sink.Port, SecureSocketOptions.None);
                }
                else
                {
                    await client.ConnectAsync(sink.Address.ToString(), sink.Port, SecureSocketOptions.None);
                }
                int i;
                while ((i = Interlocked.Increment(ref next)) < messages)
                {
                    using var msg = CreateMessage(i, attachment);
                    using var mime = (MimeMessage)msg;
                    if (signer is not null)
                    {
                        mime.Prepare(EncodingConstraint.SevenBit);
                        signer.Sign(mime, [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId, HeaderId.MimeVersion, HeaderId.ContentType]);
                    }
                    await client.SendAsync(mime);
                    Interlocked.Increment(ref delivered);
                }
                await client.DisconnectAsync(quit: true);
            });
        }
        await Task.WhenAll(workers);
        return delivered;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ModernMail.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
