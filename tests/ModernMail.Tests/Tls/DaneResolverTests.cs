using System.Net;
using ModernMail.Tests.Routing;
using ModernMail.Tls;
using Xunit;

namespace ModernMail.Tests.Tls;

/// <summary>The RFC 7672 §2.2 decisions over an in-memory zone; the real DNSSEC path is in the integration tests.</summary>
public sealed class DaneResolverTests
{
    private const string Host = "mx.signed.example";
    private const string TlsaName = "_25._tcp." + Host;
    private static readonly TlsaRecord s_eeRecord = TlsaRecord.Parse("3 1 1 " + new string('A', 64));
    private static readonly TlsaRecord s_pkixRecord = TlsaRecord.Parse("1 1 1 " + new string('A', 64));

    private readonly FakeMxResolver _dns = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public DaneResolverTests()
    {
        _dns.WithHost(Host, "192.0.2.25");
        _dns.Zone.AddAuthenticatedZone("signed.example");
    }

    [Fact]
    public async Task Lookup_AuthenticatedUsableRecords_IsUsable()
    {
        _dns.Zone.AddTlsa(TlsaName, s_eeRecord);
        _dns.Zone.AddTlsa(TlsaName, s_pkixRecord);

        var lookup = await new DaneResolver(_dns).LookupAsync(Host + ".", 25, Ct);

        Assert.Equal(DaneStatus.Usable, lookup.Status);
        Assert.True(lookup.RequiresTls);
        Assert.True(lookup.AuthenticatesByTlsa);
        Assert.False(lookup.MustDefer);
        Assert.Equal(2, lookup.Records.Count);
        Assert.Equal([s_eeRecord], lookup.UsableRecords);
        Assert.Equal(TlsaName, lookup.TlsaName);
    }

    [Fact]
    public async Task Lookup_OnlyUnusableRecords_RequiresTlsWithoutAuthentication()
    {
        _dns.Zone.AddTlsa(TlsaName, s_pkixRecord);

        var lookup = await new DaneResolver(_dns).LookupAsync(Host, 25, Ct);

        Assert.Equal(DaneStatus.Unusable, lookup.Status);
        Assert.True(lookup.RequiresTls);
        Assert.False(lookup.AuthenticatesByTlsa);
        Assert.Empty(lookup.UsableRecords);
    }

    [Fact]
    public async Task Lookup_AuthenticatedDenial_IsNoRecords()
    {
        var lookup = await new DaneResolver(_dns).LookupAsync(Host, 25, Ct);

        Assert.Equal(DaneStatus.NoRecords, lookup.Status);
        Assert.False(lookup.RequiresTls);
        Assert.Contains("authenticated denial", lookup.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lookup_UnsignedZone_IgnoresTheRecords()
    {
        _dns.WithHost("mx.unsigned.example", "192.0.2.26");
        _dns.Zone.AddTlsa("_25._tcp.mx.unsigned.example", s_eeRecord);

        var lookup = await new DaneResolver(_dns).LookupAsync("mx.unsigned.example", 25, Ct);

        Assert.Equal(DaneStatus.Insecure, lookup.Status);
        Assert.False(lookup.RequiresTls);
        Assert.Empty(lookup.Records);
        // RFC 7672 §2.2.2: with insecure address records the TLSA records are not even asked for.
        Assert.DoesNotContain(_dns.Questions, q => q.StartsWith("TLSA", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Lookup_TlsaUnauthenticatedUnderSecureAddress_IgnoresTheRecords()
    {
        // The host is in the signed zone but its _tcp subtree is an unsigned delegation.
        _dns.Zone.AddCname(TlsaName, "tlsa.unsigned.example");
        _dns.Zone.AddTlsa("tlsa.unsigned.example", s_eeRecord);

        var lookup = await new DaneResolver(_dns).LookupAsync(Host, 25, Ct);

        Assert.Equal(DaneStatus.Insecure, lookup.Status);
        Assert.Contains("not DNSSEC-authenticated", lookup.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lookup_TlsaServerFailure_MustDefer()
    {
        _dns.Zone.AddServerFailure(TlsaName);

        var lookup = await new DaneResolver(_dns).LookupAsync(Host, 25, Ct);

        Assert.Equal(DaneStatus.Failed, lookup.Status);
        Assert.True(lookup.MustDefer);
        Assert.Contains("SERVFAIL", lookup.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lookup_TlsaTimeout_MustDefer()
    {
        _dns.Zone.AddTimeout(TlsaName);

        var lookup = await new DaneResolver(_dns).LookupAsync(Host, 25, Ct);

        Assert.Equal(DaneStatus.Failed, lookup.Status);
    }

    [Fact]
    public async Task Lookup_AddressServerFailure_MustDefer()
    {
        _dns.Zone.AddServerFailure("mx2.signed.example");

        var lookup = await new DaneResolver(_dns).LookupAsync("mx2.signed.example", 25, Ct);

        Assert.Equal(DaneStatus.Failed, lookup.Status);
    }

    [Fact]
    public async Task Lookup_Ipv6OnlyHost_UsesTheAaaaRecords()
    {
        _dns.WithHost("v6.signed.example", "2001:db8::25");
        _dns.Zone.AddTlsa("_25._tcp.v6.signed.example", s_eeRecord);

        var lookup = await new DaneResolver(_dns).LookupAsync("v6.signed.example", 25, Ct);

        Assert.Equal(DaneStatus.Usable, lookup.Status);
    }

    [Fact]
    public async Task Lookup_HostWithoutAddress_IsInsecure()
    {
        var lookup = await new DaneResolver(_dns).LookupAsync("nothing.signed.example", 25, Ct);

        Assert.Equal(DaneStatus.Insecure, lookup.Status);
    }

    [Fact]
    public async Task Lookup_OtherPort_AsksForThatPort()
    {
        _dns.Zone.AddTlsa("_2525._tcp." + Host, s_eeRecord);

        var lookup = await new DaneResolver(_dns).LookupAsync(Host, 2525, Ct);

        Assert.Equal(DaneStatus.Usable, lookup.Status);
        Assert.Contains("TLSA _2525._tcp." + Host, _dns.Questions);
    }

    [Fact]
    public async Task Lookup_Disabled_AsksNothing()
    {
        _dns.Zone.AddTlsa(TlsaName, s_eeRecord);

        var lookup = await new DaneResolver(_dns, new DaneOptions { Enabled = false }).LookupAsync(Host, 25, Ct);

        Assert.Equal(DaneStatus.Disabled, lookup.Status);
        Assert.Empty(_dns.Questions);
    }

    [Fact]
    public async Task Lookup_BadArguments_Throw()
    {
        var resolver = new DaneResolver(_dns);

        await Assert.ThrowsAsync<ArgumentException>(() => resolver.LookupAsync("", 25, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => resolver.LookupAsync(Host, 0, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => resolver.LookupAsync(Host, IPEndPoint.MaxPort + 1, Ct));
    }

    [Fact]
    public async Task TlsSessionOutcome_Tlsa_ListsTheRecordsForTheReport()
    {
        _dns.Zone.AddTlsa(TlsaName, s_eeRecord);
        var lookup = await new DaneResolver(_dns).LookupAsync(Host, 25, Ct);

        var outcome = TlsSessionOutcome.Tlsa("Signed.Example.", lookup, TlsResultType.TlsaInvalid, information: "no match");

        Assert.Equal("signed.example", outcome.PolicyDomain);
        Assert.Equal("tlsa", outcome.PolicyType);
        Assert.Equal([s_eeRecord.ToString()], outcome.PolicyStrings);
        Assert.Equal(Host, outcome.ReceivingMx);
        Assert.Equal("tlsa-invalid", outcome.ResultType);
    }
}
