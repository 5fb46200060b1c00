using ModernMail.Tls;
using ModernMail.Tls.Internal;
using Xunit;

namespace ModernMail.Tests.Tls;

public sealed class MtaStsPolicyTests
{
    private static readonly DateTimeOffset s_now = new(2026, 12, 2, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Parse_TheRfcExample()
    {
        // RFC 8461 §3.2
        var policy = MtaStsPolicy.Parse("example.com", "20160831085700Z", "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n", s_now);
        Assert.Equal(MtaStsMode.Enforce, policy.Mode);
        Assert.Equal(["mail.example.com", "*.example.net", "backupmx.example.com"], policy.MxPatterns);
        Assert.Equal(TimeSpan.FromDays(7), policy.MaxAge);
        Assert.Equal(s_now.AddDays(7), policy.ExpiresAt);
    }

    [Fact]
    public void Parse_AcceptsLfLines_UnknownKeys_AndModeNoneWithoutMx()
    {
        var policy = MtaStsPolicy.Parse("Example.COM.", "1", "version: STSv1\nmode: testing\nfuture: thing\nmx:   MX.Example.com  \nmax_age:86400\n", s_now);
        Assert.Equal("example.com", policy.Domain);
        Assert.Equal(MtaStsMode.Testing, policy.Mode);
        Assert.Equal(["mx.example.com"], policy.MxPatterns);
        Assert.Equal(MtaStsMode.None, MtaStsPolicy.Parse("example.com", "1", "version: STSv1\nmode: none\nmax_age: 0\n", s_now).Mode);
    }

    [Theory]
    [InlineData("mode: enforce\nmx: a.example\nmax_age: 1", "version")]
    [InlineData("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1", "STSv2")]
    [InlineData("version: STSv1\nmx: a.example\nmax_age: 1", "mode")]
    [InlineData("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1", "strict")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example", "max_age")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601", "max_age")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1", "max_age")]
    [InlineData("version: STSv1\nmode: enforce\nmax_age: 60", "mx")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a..example\nmax_age: 60", "a..example")]
    [InlineData("version: STSv1\nmode: enforce\nmx: mail.*.example\nmax_age: 60", "mail.*.example")]
    [InlineData("<html>not a policy</html>", "key: value")]
    public void Parse_RefusesInvalidPolicies_SayingWhy(string text, string named)
    {
        var error = Assert.Throws<FormatException>(() => MtaStsPolicy.Parse("example.com", "1", text, s_now));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mail.example.com", true)]
    [InlineData("MAIL.example.com.", true)]
    [InlineData("mx1.example.net", true)]
    [InlineData("example.net", false)] // the star is exactly one label
    [InlineData("a.b.example.net", false)]
    [InlineData("evil-mail.example.com", false)]
    [InlineData("mail.example.com.evil.test", false)]
    public void MatchesMx_ExactNamesAndOneLabelWildcards(string host, bool matches)
    {
        var policy = MtaStsPolicy.Parse("example.com", "1", "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmax_age: 60\n", s_now);
        Assert.Equal(matches, policy.MatchesMx(host));
    }

    [Theory]
    [InlineData("v=STSv1; id=20160831085700Z;", "20160831085700Z")]
    [InlineData("v=STSv1;id=abc", "abc")]
    [InlineData("v=STSv1; id=abc; ext=1", "abc")]
    public void TxtRecord_GivesTheId(string record, string id)
    {
        Assert.True(StsTxtRecord.TryGetId(["google-site-verification=x", record], out string? found, out _));
        Assert.Equal(id, found);
    }

    [Theory]
    [InlineData("v=STSv1; id=has-dash")]
    [InlineData("v=STSv1; id=123456789012345678901234567890123")]
    [InlineData("v=STSv1")]
    [InlineData("v=STSv1x; id=1")]
    public void TxtRecord_RefusesBadRecords(string record) =>
        Assert.False(StsTxtRecord.TryGetId([record], out _, out _));

    [Fact]
    public void TxtRecord_TwoRecordsMeanNoPolicy()
    {
        Assert.False(StsTxtRecord.TryGetId(["v=STSv1; id=1", "v=STSv1; id=2"], out _, out string? error));
        Assert.Contains("2 v=STSv1", error, StringComparison.Ordinal);
    }
}
