using ModernMail.Delivery;
using Xunit;

namespace ModernMail.Tests.Delivery;

/// <summary>Runs every reply of Delivery/BounceCorpus.txt (real replies of Gmail, Microsoft, Yahoo, iCloud, Postfix,
/// Exim and others, each group citing its source) through the classifier.</summary>
public sealed class BounceCorpusTests
{
    private static readonly string s_path = Path.Combine(AppContext.BaseDirectory, "Delivery", "BounceCorpus.txt");

    public static TheoryData<int, SmtpStage, DeliveryOutcome, BounceCategory, string> Corpus()
    {
        var data = new TheoryData<int, SmtpStage, DeliveryOutcome, BounceCategory, string>();
        foreach (var entry in Read())
        {
            data.Add(entry.Line, entry.Stage, entry.Outcome, entry.Category, entry.Reply);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Classify_RealReply_GetsItsCategoryAndOutcome(int line, SmtpStage stage, DeliveryOutcome outcome, BounceCategory category, string reply)
    {
        var decision = DeliveryClassifier.Classify(stage, ReplyText.Parse(reply));

        Assert.True((outcome, category) == (decision.Outcome, decision.Category),
            $"line {line}: expected {outcome} {category}, got {decision.Outcome} {decision.Category} (rule {decision.Rule ?? "none"})");
    }

    [Fact]
    public void Corpus_HasAtLeast100RepliesFromEveryNamedReceiver_AndNoRateLimitOrReputationDeferralIsPermanentBy4xx()
    {
        var entries = Read();
        string comments = string.Join('\n', File.ReadAllLines(s_path).Where(l => l.StartsWith('#')));

        Assert.True(entries.Count >= 100, $"{entries.Count} replies");
        foreach (string receiver in new[] { "Gmail", "Outlook.com", "Yahoo", "iCloud", "Postfix", "Exim", "Exchange" })
        {
            Assert.Contains("# " + receiver, comments.Replace(" / ", "\n# ", StringComparison.Ordinal));
        }
        Assert.All(entries.Where(e => e.Reply[0] == '4'), e => Assert.Equal(DeliveryOutcome.Transient, e.Outcome));
        Assert.Contains(entries, e => e.Category == BounceCategory.InvalidRecipient && e.Outcome == DeliveryOutcome.Permanent);
        foreach (var category in Enum.GetValues<BounceCategory>().Where(c => c is not (BounceCategory.None or BounceCategory.DnsFailure)))
        {
            // Every category but DNS failures (ours, never a server's reply) is seen in the wild.
            Assert.Contains(entries, e => e.Category == category);
        }
    }

    private sealed record Entry(int Line, SmtpStage Stage, DeliveryOutcome Outcome, BounceCategory Category, string Reply);

    private static List<Entry> Read()
    {
        var entries = new List<Entry>();
        string[] lines = File.ReadAllLines(s_path);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            string[] parts = line.Split(" | ", 4);
            Assert.True(parts.Length == 4, $"line {i + 1}: expected 'stage | outcome | category | reply'");
            entries.Add(new Entry(i + 1, Enum.Parse<SmtpStage>(parts[0]), Enum.Parse<DeliveryOutcome>(parts[1]), Enum.Parse<BounceCategory>(parts[2]), parts[3]));
        }
        return entries;
    }
}
