using System.Globalization;
using System.Text.RegularExpressions;
using CsCheck;
using ModernMail.Internal;
using Xunit;

namespace ModernMail.Tests.Internal;

public class SafeTextTests
{
    [Theory]
    [InlineData("a\0b", "a\\x00b")]
    [InlineData("\u001b[2J\u001b]0;pwned\u0007", "\\x1B[2J\\x1B]0;pwned\\x07")]
    [InlineData("tab\there\r\nfake: line", "tab\\x09here\\x0D\\x0Afake: line")]
    [InlineData("del\u007f", "del\\x7F")]
    [InlineData("nel\u0085csi\u009b31m", "nel\\x85csi\\x9B31m")]
    [InlineData("line\u2028para\u2029", "line\\u{2028}para\\u{2029}")]
    [InlineData("user\u202Egnp.exe", "user\\u{202E}gnp.exe")]
    [InlineData("\u2066iso\u2069 zw\u200Bj\u200D bom\uFEFF shy\u00AD", "\\u{2066}iso\\u{2069} zw\\u{200B}j\\u{200D} bom\\u{FEFF} shy\\u{00AD}")]
    [InlineData("tag\U000E0041", "tag\\u{E0041}")]
    public void Escape_ControlAndFormatCharacters_BecomeVisibleEscapes(string text, string expected)
    {
        Assert.Equal(expected, SafeText.Escape(text));
    }

    [Fact]
    public void Escape_LoneSurrogates_AreEscapedAndPairsKept()
    {
        // Not theory data: xUnit's serialisation would replace lone surrogates before the test saw them.
        Assert.Equal("lone\\u{D800} and \\u{DC00} pair \U0001F600", SafeText.Escape("lone\uD800 and \uDC00 pair \U0001F600"));
    }

    [Theory]
    [InlineData("250 2.0.0 Ok: queued as 4Xyz")]
    [InlineData("José Müller <josé@exämple.test> 日本語 😀 \uFFFD")]
    [InlineData("C:\\path\\x00 stays as typed")]
    [InlineData("")]
    public void Escape_SafeText_IsReturnedAsIs(string text)
    {
        Assert.Same(text, SafeText.Escape(text));
    }

    [Fact]
    public void Escape_InvalidUtf8_BecomesReplacementCharacter()
    {
        Assert.Equal("a\uFFFDb\\x1B", SafeText.Escape([(byte)'a', 0xFF, (byte)'b', 0x1B]));
    }

    [Fact]
    public void Excerpt_LongInput_IsCutAndMarked()
    {
        Assert.Equal("abc...", SafeText.Excerpt("abcdef"u8, 3));
        Assert.Equal("abc", SafeText.Excerpt("abc"u8, 3));
    }

    /// <summary>Any text at all, mostly hostile: the result has no control, format, line or paragraph separator and no
    /// lone surrogate, escaping again changes nothing, and (for text without backslashes) nothing is lost.</summary>
    [Fact]
    public void Escape_AnyText_IsSafeIdempotentAndLossless()
    {
        var hostile = Gen.OneOf(
            Gen.Char['\0', '\u00bf'],
            Gen.Char['\u2000', '\u206f'],
            Gen.Char['\ud7f0', '\udfff'],
            Gen.Char['\ufe00', '\uffff'],
            Gen.Char);
        Gen.String[hostile, 0, 60].Sample(text =>
        {
            string escaped = SafeText.Escape(text);
            Assert.True(Printable.IsSafe(escaped), escaped);
            Assert.Same(escaped, SafeText.Escape(escaped));
            if (!text.Contains('\\'))
            {
                Assert.Equal(text, Unescape(escaped));
            }
        }, iter: 5000);
    }

    private static string Unescape(string text) => Regex.Replace(text, @"\\x([0-9A-F]{2})|\\u\{([0-9A-F]{4,6})\}", m =>
    {
        int value = int.Parse(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return value is >= 0xD800 and <= 0xDFFF ? ((char)value).ToString() : char.ConvertFromUtf32(value);
    });
}
