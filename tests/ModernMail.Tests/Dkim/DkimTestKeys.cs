using ModernMail.Dkim;

namespace ModernMail.Tests.Dkim;

/// <summary>Throwaway keys made once per test run, and the DNS records that publish them.</summary>
internal static class DkimTestKeys
{
    public const string Domain = "sender.test";

    private static readonly Lazy<DkimKeyPair> s_rsa = new(() => DkimKeyPair.GenerateRsa(2048));
    private static readonly Lazy<DkimKeyPair> s_ed25519 = new(DkimKeyPair.GenerateEd25519);

    public static DkimKeyPair Rsa => s_rsa.Value;
    public static DkimKeyPair Ed25519 => s_ed25519.Value;

    public static DkimConfig RsaConfig() => Rsa.ToConfig(Domain, "rsa2048");
    public static DkimConfig Ed25519Config() => Ed25519.ToConfig(Domain, "ed25519");

    public static DkimDnsRecord[] Records =>
        [Rsa.CreateDnsRecord(Domain, "rsa2048"), Ed25519.CreateDnsRecord(Domain, "ed25519")];

    public static FixedDkimKeyResolver Resolver => new(Records);
}
