using Xunit;

// Integration tests share one Postfix and one DNS server; run them one class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// The test world (Postfix, dnsmasq, setpriv) is Debian: these tests run on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
