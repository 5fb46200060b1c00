namespace ModernMail.IntegrationTests.Deliverability;

/// <summary>Where the world's DNS server is ("address:port"), and the test files next to these tests.</summary>
internal static class WorldDns
{
    public static string Server => Environment.GetEnvironmentVariable("MODERNMAIL_TEST_DNS") ?? "127.0.0.1:5300";

    /// <summary>Fails with a clear message when the world's DNS does not serve the doctor's zones (up.sh run from a checkout without zones/doctor.conf).</summary>
    public static async Task EnsureDoctorZonesAsync(CancellationToken cancellationToken)
    {
        var probe = await new ModernMail.Deliverability.DnsClientLookup([Server], TimeSpan.FromSeconds(2)).QueryTxtAsync("dr-good.test", cancellationToken);
        if (probe.Outcome != ModernMail.Deliverability.DnsOutcome.Success)
        {
            throw new InvalidOperationException(
                $"The test world's DNS ({Server}) does not serve dr-good.test ({probe.Describe()}): run scripts/testworld/up.sh from this checkout " +
                "(it loads scripts/testworld/zones/doctor.conf); another checkout's up.sh may have replaced the zone.");
        }
    }

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
