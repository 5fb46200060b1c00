using ModernMail.Smtp;
using Xunit;

namespace ModernMail.Tests.Smtp;

public class EnhancedStatusCodeTests
{
    [Theory]
    [InlineData("2.1.5 Ok", 2, 1, 5, 5)]
    [InlineData("5.7.1 Relay denied", 5, 7, 1, 5)]
    [InlineData("4.123.999", 4, 123, 999, 9)]
    public void TryParse_ValidPrefix_ReturnsParts(string text, int cls, int subject, int detail, int length)
    {
        Assert.True(EnhancedStatusCode.TryParse(text.AsSpan(), out var code, out int consumed));
        Assert.Equal(new EnhancedStatusCode(cls, subject, detail), code);
        Assert.Equal(length, consumed);
    }

    [Theory]
    [InlineData("3.1.1 nope")]
    [InlineData("2.1 short")]
    [InlineData("2.1.5x")]
    [InlineData("2.1234.5")]
    [InlineData("Ok")]
    public void TryParse_NotAStatusCode_ReturnsFalse(string text)
    {
        Assert.False(EnhancedStatusCode.TryParse(text.AsSpan(), out _, out _));
    }
}
