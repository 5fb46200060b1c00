using System.Text;
using ModernMail.Delivery;
using ModernMail.Delivery.Internal;
using ModernMail.Smtp;
using Xunit;

namespace ModernMail.Tests.Delivery;

public sealed class BounceRulesTests
{
    public static TheoryData<string> RuleIds()
    {
        var data = new TheoryData<string>();
        foreach (var rule in BounceRuleSet.Default.Rules)
        {
            data.Add(rule.Id);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Example_IsDecidedByItsOwnRule(string id)
    {
        var rule = BounceRuleSet.Default.Rules.Single(r => r.Id == id);
        // Rules without a stage are shown at the final dot: the one stage no rule treats specially.
        var stage = rule.Stages.Count > 0 ? rule.Stages[0] : SmtpStage.FinalDot;

        var decision = Classify(stage, rule.Example);

        Assert.Equal(id, decision.Rule);
        Assert.Equal(rule.Category, decision.Category);
    }

    [Fact]
    public void Rules_OverrideOutcomeOnlyWithAReason_AndNeverMakeA4xxPermanent()
    {
        Assert.True(BounceRuleSet.Default.Rules.Count >= 40);
        foreach (var rule in BounceRuleSet.Default.Rules.Where(r => r.Outcome is not null))
        {
            Assert.False(string.IsNullOrWhiteSpace(rule.Why), rule.Id);
            var stage = rule.Stages.Count > 0 ? rule.Stages[0] : SmtpStage.FinalDot;
            var example = Classify(stage, rule.Example);
            bool fourXx = ReplyText.IsReply(rule.Example) ? rule.Example[0] == '4' : rule.Example[0] == '4';
            Assert.False(fourXx && example.Outcome == DeliveryOutcome.Permanent, rule.Id);
        }
    }

    [Fact]
    public void Classify_NoRuleMatches_ReplyCodeDecidesAndCategoryIsOther()
    {
        var transient = DeliveryClassifier.Classify(SmtpStage.RcptTo, new SmtpReply(451, null, ["zzz"]));
        var permanent = DeliveryClassifier.Classify(SmtpStage.MailFrom, new SmtpReply(554, null, ["zzz"]));

        Assert.Equal(new DeliveryClassification(DeliveryOutcome.Transient, BounceCategory.Other), transient);
        Assert.Equal(new DeliveryClassification(DeliveryOutcome.Permanent, BounceCategory.Other), permanent);
    }

    [Theory]
    [InlineData(SmtpStage.FinalDot, 250, DeliveryOutcome.Delivered, BounceCategory.None)]
    [InlineData(SmtpStage.FinalDot, 251, DeliveryOutcome.Transient, BounceCategory.Other)] // only 250 ends the data (RFC 5321 §4.3.2)
    [InlineData(SmtpStage.Data, 250, DeliveryOutcome.Transient, BounceCategory.Other)] // DATA wants 354
    public void Classify_PositiveReply_DeliveredOnlyAs250ToTheFinalDot(SmtpStage stage, int code, DeliveryOutcome outcome, BounceCategory category)
    {
        var decision = DeliveryClassifier.Classify(stage, new SmtpReply(code, null, ["ok"]));

        Assert.Equal(outcome, decision.Outcome);
        Assert.Equal(category, decision.Category);
    }

    [Theory]
    [InlineData("550 5.1.1 <bounce@sender.example>: Sender address rejected: User unknown in local recipient table")]
    [InlineData("550 5.1.1 User unknown")]
    [InlineData("550 Unrouteable address")]
    [InlineData("554 30 Sorry, this mailbox is disabled")]
    public void Classify_AddressRejectionsAtMailFrom_AreAboutTheSender_NeverInvalidRecipient(string reply)
    {
        var atMail = BounceRulesTests.Classify(SmtpStage.MailFrom, reply);
        var atRcpt = BounceRulesTests.Classify(SmtpStage.RcptTo, reply);

        Assert.Equal(DeliveryOutcome.Permanent, atMail.Outcome);
        Assert.NotEqual(BounceCategory.InvalidRecipient, atMail.Category);
        Assert.Equal(reply.Contains("Sender", StringComparison.Ordinal) ? BounceCategory.PolicyRelated : BounceCategory.InvalidRecipient, atRcpt.Category);
    }

    [Fact]
    public void Classify_FailureStatusOfClass2_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DeliveryClassifier.Classify(SmtpStage.Connect, new EnhancedStatusCode(2, 0, 0), "fine"));
    }

    [Fact]
    public void Classify_HugeHostileText_IsBoundedAndStillClassified()
    {
        // NonBacktracking patterns and a cap on the scanned text: a reply built to be slow is just slow to send.
        string text = new string('a', 100_000) + " user unknown";
        var decision = DeliveryClassifier.Classify(SmtpStage.RcptTo, new SmtpReply(550, null, [new string('(', 3000) + text]));

        Assert.Equal(DeliveryOutcome.Permanent, decision.Outcome);
        Assert.Equal(BounceCategory.Other, decision.Category); // the words past the cap are not read
    }

    [Theory]
    [InlineData("""{ "rules": [ { "id": "a", "category": "Other", "example": "550 x", "colour": "red" } ] }""", "unknown field \"colour\"")]
    [InlineData("""{ "rules": [ { "id": "a", "category": "Other", "example": "550 x", "outcome": "transient" } ] }""", "must say why")]
    [InlineData("""{ "rules": [ { "id": "a", "category": "Other", "example": "550 x", "outcome": "later", "why": "w" } ] }""", "neither")]
    [InlineData("""{ "rules": [ { "id": "a", "category": "Sad", "example": "550 x" } ] }""", "unknown category")]
    [InlineData("""{ "rules": [ { "id": "a", "category": "3", "example": "550 x" } ] }""", "unknown category")]
    [InlineData("""{ "rules": [ { "id": "a", "category": "None", "example": "550 x" } ] }""", "unknown category")]
    [InlineData("""{ "rules": [ { "id": "a", "category": "Other" } ] }""", "no example")]
    [InlineData("""{ "rules": [ { "id": "a", "category": "Other", "example": "550 x", "stage": "Rcpt" } ] }""", "unknown stage")]
    [InlineData("""{ "rules": [ { "id": "a", "category": "Other", "example": "550 x", "stage": ["RcptTo", 3] } ] }""", "list of strings")]
    [InlineData("""{ "rules": [ { "id": "a", "category": "Other", "example": "550 x", "code": "25" } ] }""", "reply code prefix")]
    [InlineData("""{ "rules": [ { "id": "a", "category": "Other", "example": "550 x", "code": "5500" } ] }""", "reply code prefix")]
    [InlineData("""{ "rules": [ { "id": "a", "category": "Other", "example": "550 x", "status": "5.1.1.1" } ] }""", "enhanced status code pattern")]
    [InlineData("""{ "rules": [ { "id": "a", "category": "Other", "example": "550 x", "status": "3.1.1" } ] }""", "enhanced status code pattern")]
    [InlineData("""{ "rules": [ { "id": "a", "category": "Other", "example": "550 x", "text": "(a" } ] }""", "not a valid regular expression")]
    [InlineData("""{ "rules": [ { "id": "a", "category": "Other", "example": "550 x", "text": "(a)\\1" } ] }""", "not a valid regular expression")] // backreference: not linear
    [InlineData("""{ "rules": [ { "id": "a", "category": "Other", "example": "550 x" }, { "id": "a", "category": "Other", "example": "550 x" } ] }""", "used twice")]
    [InlineData("""{ "rules": [ { "category": "Other", "example": "550 x" } ] }""", "has no id")]
    [InlineData("""[ ]""", "\"rules\" array")]
    [InlineData("""{ "rules": [ """, "Bounce rules:")]
    public void Parse_MalformedRules_ThrowsNamingTheProblem(string json, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => BounceRuleSet.Parse(new MemoryStream(Encoding.UTF8.GetBytes(json))));

        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Parse_FirstMatchWins_AndMatchersCombine()
    {
        const string Json = """
            // comments are allowed
            { "rules": [
              { "id": "rcpt-only", "stage": ["RcptTo"], "code": "55", "status": ["x.1.1", "5.1.10"], "text": "gone", "category": "InvalidRecipient", "example": "550 5.1.1 gone" },
              { "id": "any-5", "code": "5", "category": "PolicyRelated", "example": "554 no", "outcome": "transient", "why": "test" },
            ] }
            """;
        var rules = BounceRuleSet.Parse(new MemoryStream(Encoding.UTF8.GetBytes(Json)));
        var gone = new EnhancedStatusCode(5, 1, 1);

        Assert.Equal("rcpt-only", rules.Classify(SmtpStage.RcptTo, 550, gone, "user is Gone").Rule);
        Assert.Equal("rcpt-only", rules.Classify(SmtpStage.RcptTo, 553, new EnhancedStatusCode(5, 1, 10), "gone").Rule);
        Assert.Equal("any-5", rules.Classify(SmtpStage.MailFrom, 550, gone, "gone").Rule); // stage
        Assert.Equal("any-5", rules.Classify(SmtpStage.RcptTo, 540, gone, "gone").Rule); // code prefix
        Assert.Equal("any-5", rules.Classify(SmtpStage.RcptTo, 550, new EnhancedStatusCode(5, 1, 2), "gone").Rule); // status
        Assert.Equal("any-5", rules.Classify(SmtpStage.RcptTo, 550, null, "gone").Rule); // no status at all
        Assert.Equal("any-5", rules.Classify(SmtpStage.RcptTo, 550, gone, "here").Rule); // text
        Assert.Equal(DeliveryOutcome.Transient, rules.Classify(SmtpStage.RcptTo, 550, gone, "here").Outcome);
        var none = rules.Classify(SmtpStage.RcptTo, 450, null, "here");
        Assert.Equal((DeliveryOutcome.Transient, BounceCategory.Other, (string?)null), (none.Outcome, none.Category, none.Rule));
        // A failure without a reply has no code: code rules never match it.
        Assert.Null(rules.Classify(SmtpStage.Connect, 0, new EnhancedStatusCode(5, 1, 1), "gone").Rule);
    }

    internal static DeliveryClassification Classify(SmtpStage stage, string example)
    {
        if (ReplyText.IsReply(example))
        {
            return DeliveryClassifier.Classify(stage, ReplyText.Parse(example));
        }
        var (status, detail) = ReplyText.ParseFailure(example);
        return DeliveryClassifier.Classify(stage, status, detail);
    }
}
