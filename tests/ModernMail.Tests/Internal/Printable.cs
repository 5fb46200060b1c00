using System.Globalization;
using System.Text;

namespace ModernMail.Tests.Internal;

/// <summary>The test's own, independent idea of text that is safe to print: no control, format, line or paragraph
/// separator character and no lone surrogate.</summary>
internal static class Printable
{
    public static bool IsSafe(string text)
    {
        for (int i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out Rune rune, out int used) != System.Buffers.OperationStatus.Done)
            {
                return false;
            }
            if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
                or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
            {
                return false;
            }
            i += used;
        }
        return true;
    }
}
