using ModernMail.Delivery.Shaping;

namespace ModernMail.Delivery.Internal.Shaping;

/// <summary>The shipped rules for the big mailbox providers. The values are public facts: the providers' sender guidelines and
/// KumoMTA's shaping file (assets/policy-extras/shaping.toml, which cites the same pages); where a provider publishes no number,
/// the value is what that file uses. Limits not named here come from <see cref="TrafficShaping.Default"/>.</summary>
internal static class ProviderShapingRules
{
    public static IReadOnlyList<ShapingRule> All { get; } =
    [
        // Gmail and Google Workspace share their MX hosts (*.google.com, *.googlemail.com), so one budget: 5 connections,
        // 50 messages each. Google publishes no numbers and asks senders to ramp up slowly and obey its 421 4.7.28 deferrals.
        new()
        {
            Name = "google",
            MxSuffixes = [".google.com", ".googlemail.com"],
            MaxConnections = 5,
            MaxMessagesPerConnection = 50,
            Source = "https://support.google.com/mail/answer/81126",
        },
        // Outlook.com (consumer) and Exchange Online are separate edge groups: 5 connections, 50 messages each.
        new()
        {
            Name = "outlook",
            MxSuffixes = [".olc.protection.outlook.com"],
            MaxConnections = 5,
            MaxMessagesPerConnection = 50,
            Source = "https://sendersupport.olc.protection.outlook.com/pm/policies.aspx",
        },
        new()
        {
            Name = "office365",
            MxSuffixes = [".mail.protection.outlook.com", ".mx.microsoft"],
            MaxConnections = 5,
            MaxMessagesPerConnection = 50,
            Source = "https://learn.microsoft.com/exchange/mail-flow-best-practices/",
        },
        // Yahoo and AOL (*.yahoodns.net): at most 20 messages per connection, Yahoo's own figure; "[TSS04]" (Yahoo's
        // deferral for unusual traffic) means stop for a while: two hours.
        new()
        {
            Name = "yahoo",
            MxSuffixes = [".yahoodns.net"],
            MaxMessagesPerConnection = 20,
            SuspendOnReply = @"\[TSS?04\]",
            SuspendFor = TimeSpan.FromHours(2),
            Source = "https://senders.yahooinc.com/best-practices/",
        },
        // iCloud (*.icloud.com, also me.com and mac.com): 10 connections, 5 messages each.
        new()
        {
            Name = "icloud",
            MxSuffixes = [".icloud.com"],
            MaxConnections = 10,
            MaxMessagesPerConnection = 5,
            Source = "https://support.apple.com/en-us/102322",
        },
    ];
}
