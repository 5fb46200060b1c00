using System.Net;
using System.Security.Cryptography;
using ModernMail.Deliverability;
using ModernMail.Dns;

namespace ModernMail.Tests.Deliverability;

/// <summary>A well-configured sending domain in memory; each test breaks one thing.</summary>
internal sealed class DoctorZone
{
    public const string Domain = "good.example";
    public const string Helo = "mail.good.example";
    public static readonly IPAddress Address = IPAddress.Parse("192.0.2.10");
    private static readonly Lazy<RSA> s_key = new(() => RSA.Create(2048));

    public static RSA Key => s_key.Value;

    public static string DkimRecordFor(RSA key) => "v=DKIM1; k=rsa; p=" + Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());

    public string? Spf { get; set; } = "v=spf1 ip4:192.0.2.0/24 -all";
    public string? Spf2 { get; set; }
    public string? Dkim { get; set; } = DkimRecordFor(Key);
    public string? Dmarc { get; set; } = "v=DMARC1; p=reject; rua=mailto:dmarc@good.example";
    public string? PtrName { get; set; } = Helo;
    public IPAddress? HeloAddress { get; set; } = Address;
    public bool Mx { get; set; } = true;
    public string TlsRpt { get; set; } = "v=TLSRPTv1; rua=mailto:tls@good.example";

    /// <summary>The MTA-STS policy the tests' HTTPS server answers for mta-sts.good.example.</summary>
    public const string Policy = "version: STSv1\nmode: enforce\nmx: mail.good.example\nmax_age: 604800\n";
    public List<string> TimeoutNames { get; } = [];

    public InMemoryDnsLookup Build()
    {
        var dns = new InMemoryDnsLookup();
        dns.AddAddress(Domain, Address);
        if (Spf is not null) dns.AddTxt(Domain, Spf);
        if (Spf2 is not null) dns.AddTxt(Domain, Spf2);
        dns.AddTxt(Domain, "google-site-verification=abc");
        if (Mx) dns.AddMx(Domain, 10, Helo);
        if (HeloAddress is not null) dns.AddAddress(Helo, HeloAddress);
        if (PtrName is not null) dns.AddPtr(Address, PtrName);
        if (Dkim is not null) dns.AddTxt("sel._domainkey." + Domain, Dkim);
        if (Dmarc is not null) dns.AddTxt("_dmarc." + Domain, Dmarc);
        dns.AddTxt("_mta-sts." + Domain, "v=STSv1; id=20260101");
        dns.AddAddress("mta-sts." + Domain, IPAddress.Loopback);
        dns.AddTxt("_smtp._tls." + Domain, TlsRpt);
        foreach (var name in TimeoutNames) dns.AddTimeout(name);
        return dns;
    }

    public static DeliverabilitySetup Setup(string? privateKeyPem = null) => new()
    {
        Domain = Domain,
        Address = Address,
        HeloName = Helo,
        DkimSelector = "sel",
        DkimPrivateKeyPem = privateKeyPem,
    };
}
