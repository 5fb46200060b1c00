using ModernMail.IntegrationTests.World;

namespace ModernMail.IntegrationTests.Cli;

/// <summary>The committed throwaway DKIM keys published for sender.test in the test world.</summary>
public static class CliTestKeys
{
    public static string Rsa => TestWorld.RsaKeyPath;

    public static string Ed25519 => TestWorld.Ed25519KeyPath;

    /// <summary>The options that sign with both test keys (Ed25519 first, then RSA).</summary>
    public static string[] BothSignatures =>
    [
        "--dkim-domain", TestWorld.SenderDomain, "--dkim-selector", TestWorld.Ed25519Selector, "--dkim-key", Ed25519,
        "--dkim-domain", TestWorld.SenderDomain, "--dkim-selector", TestWorld.RsaSelector, "--dkim-key", Rsa,
    ];
}
