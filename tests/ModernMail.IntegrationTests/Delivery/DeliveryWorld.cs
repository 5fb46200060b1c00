namespace ModernMail.IntegrationTests.Delivery;

/// <summary>What the delivery tests need from the loopback test world (scripts/testworld/up.sh): DNS on 5300, Postfix on 25, Maildirs.</summary>
internal static class DeliveryWorld
{
    public const string Dns = "127.0.0.1:5300";

    public const string MailRoot = "/var/spool/testworld/mail";

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ModernMail.slnx")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }

    /// <summary>Fails loudly when the world is not up.</summary>
    public static void EnsureUp()
    {
        using var client = new System.Net.Sockets.TcpClient();
        try
        {
            client.Connect("127.0.0.1", 25);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new InvalidOperationException("The test world is not up: nothing on 127.0.0.1:25. Run scripts/testworld/up.sh as root.", ex);
        }
        if (!Directory.Exists(MailRoot))
        {
            throw new InvalidOperationException($"The test world is not up: {MailRoot} is missing. Run scripts/testworld/up.sh as root.");
        }
    }

    /// <summary>A local part no other test run has used.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    /// <summary>The files delivered to <paramref name="address"/> (Maildir new/ and cur/).</summary>
    public static string[] Messages(string address)
    {
        int at = address.LastIndexOf('@');
        string box = Path.Combine(MailRoot, address[(at + 1)..].ToLowerInvariant(), address[..at].ToLowerInvariant());
        var files = new List<string>();
        foreach (string sub in new[] { "new", "cur" })
        {
            string dir = Path.Combine(box, sub);
            if (Directory.Exists(dir))
            {
                files.AddRange(Directory.GetFiles(dir));
            }
        }
        return [.. files];
    }

    /// <summary>Polls until <paramref name="count"/> messages arrived for <paramref name="address"/>, then checks no extra copy follows shortly.</summary>
    public static async Task<string[]> WaitForMessagesAsync(string address, int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            string[] files = Messages(address);
            if (files.Length >= count)
            {
                await Task.Delay(300, cancellationToken);
                return Messages(address);
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{address}: {files.Length} of {count} messages after {timeout.TotalSeconds} s (see /var/spool/testworld/postfix.log)");
            }
            await Task.Delay(100, cancellationToken);
        }
    }
}
