using ModernMail.Server.Smtp;
using Xunit;

namespace ModernMail.Tests.Server.Smtp;

public sealed class SmtpPathTests
{
    [Theory]
    [InlineData("FROM:<a@b.test>", "a@b.test")]
    [InlineData("from:<a@b.test>", "a@b.test")]
    [InlineData("FROM: <a@b.test>", "a@b.test")]
    [InlineData("FROM:<>", "")]
    [InlineData("FROM:<@relay.test,@other.test:a@b.test>", "a@b.test")]
    [InlineData("FROM:<\"a>b\"@b.test>", "\"a>b\"@b.test")]
    public void TryParse_Paths(string arguments, string expected)
    {
        Assert.True(SmtpPath.TryParse(arguments, "FROM", out string? path, out var parameters, out _));
        Assert.Equal(expected, path);
        Assert.Empty(parameters);
    }

    [Fact]
    public void TryParse_Parameters_AreUpperCasedKeys()
    {
        Assert.True(SmtpPath.TryParse("FROM:<a@b.test> size=123 BODY=8BITMIME  SMTPUTF8", "FROM", out _, out var parameters, out _));
        Assert.Equal("123", parameters["SIZE"]);
        Assert.Equal("8BITMIME", parameters["BODY"]);
        Assert.Equal("", parameters["SMTPUTF8"]);
    }

    [Theory]
    [InlineData("FROM:a@b.test")]
    [InlineData("TO:<a@b.test>")]
    [InlineData("FROM:<a@b.test")]
    [InlineData("FROM:<a@b.test> SIZE=1 SIZE=2")]
    [InlineData("FROM:<a@b.test> =1")]
    [InlineData("FROM:<@relay.test>")]
    [InlineData("")]
    public void TryParse_Malformed_SaysWhy(string arguments)
    {
        Assert.False(SmtpPath.TryParse(arguments, "FROM", out _, out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
