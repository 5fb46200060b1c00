namespace ModernMail.IntegrationTests.Deliverability;

/// <summary>Where the world's DNS server is ("address:port"), and the test files next to these tests.</summary>
internal static class WorldDns
{
    public static string Server => Environment.GetEnvironmentVariable("MODERNMAIL_TEST_DNS") ?? "127.0.0.1:5300";

    /// <summary>Finds tests/ModernMail.IntegrationTests/Deliverability/<paramref name="name"/> above the output directory.</summary>
    public static string GetFile(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "ModernMail.IntegrationTests", "Deliverability", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{name} not found above {AppContext.BaseDirectory}");
    }
}
