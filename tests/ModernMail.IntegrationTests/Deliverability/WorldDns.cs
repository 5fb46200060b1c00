using ModernMail.Deliverability;
using ModernMail.Dns;
using ModernMail.IntegrationTests.World;

namespace ModernMail.IntegrationTests.Deliverability;

/// <summary>The world's DNS servers as "address:port", a check that the doctor's zones are loaded, and this folder's files.</summary>
internal static class WorldDns
{
    /// <summary>dnsmasq, authoritative for test. (with scripts/testworld/zones/doctor.conf inlined).</summary>
    public static string Server => TestWorld.DnsServer.ToString();

    /// <summary>unbound, which forwards test. to dnsmasq and answers SERVFAIL for everything else.</summary>
    public static string Resolver => TestWorld.Resolver.ToString();

    /// <summary>Fails with a clear message when the world is down or its DNS lacks the doctor's zones (up.sh run from a checkout without zones/doctor.conf).</summary>
    public static async Task EnsureDoctorZonesAsync(CancellationToken cancellationToken)
    {
        TestWorld.EnsureUp();
        var probe = await new DnsClientLookup([Server], TimeSpan.FromSeconds(2)).QueryTxtAsync("dr-good.test", cancellationToken);
        if (probe.Outcome != DnsOutcome.Found)
        {
            throw new InvalidOperationException(
                $"The test world's DNS ({Server}) does not serve dr-good.test ({probe.Describe()}): run scripts/testworld/up.sh from this checkout " +
                "(it loads scripts/testworld/zones/doctor.conf); another checkout's up.sh may have replaced the zone.");
        }
    }

    /// <summary>The path of a file in tests/ModernMail.IntegrationTests/Deliverability.</summary>
    public static string GetFile(string name) =>
        Path.Combine(TestWorld.RepoRoot, "tests", "ModernMail.IntegrationTests", "Deliverability", name);
}
