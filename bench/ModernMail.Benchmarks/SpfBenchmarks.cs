using System.Net;
using BenchmarkDotNet.Attributes;
using ModernMail.Deliverability;
using ModernMail.Dns;

namespace ModernMail.Benchmarks;

/// <summary>SPF check_host() over an in-memory zone: the evaluator's own cost, without network time.</summary>
[MemoryDiagnoser]
public class SpfBenchmarks
{
    private static readonly IPAddress s_address = IPAddress.Parse("192.0.2.77");
    private SpfEvaluator _evaluator = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dns = new InMemoryDnsLookup();
        dns.AddTxt("example.com", "v=spf1 mx a:mail.example.com include:_spf.example.net ip6:2001:db8::/32 -all");
        dns.AddMx("example.com", 10, "mx.example.com");
        dns.AddAddress("mx.example.com", IPAddress.Parse("198.51.100.1"));
        dns.AddAddress("mail.example.com", IPAddress.Parse("198.51.100.2"));
        dns.AddTxt("_spf.example.net", "v=spf1 ip4:203.0.113.0/24 include:_spf2.example.net ~all");
        dns.AddTxt("_spf2.example.net", "v=spf1 ip4:192.0.2.0/25 exists:%{ir}.%{l1r+-}._spf.%{d} -all");
        _evaluator = new SpfEvaluator(dns);
    }

    /// <summary>Four DNS-querying terms, two includes, a macro expansion; passes on the last include.</summary>
    [Benchmark]
    public Task<SpfEvaluation> CheckHost_NestedIncludes() =>
        _evaluator.CheckHostAsync(s_address, "example.com", "user@example.com", "mail.example.com");
}
