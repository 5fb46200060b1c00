using System.Security.Cryptography;

namespace ModernMail.Mime.Internal;

/// <summary>Random tokens for boundaries and Message-IDs: from a seeded <see cref="Random"/> when given (deterministic output), else cryptographic.</summary>
internal sealed class MimeRandom(Random? random)
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private readonly HashSet<string> _boundaries = new(StringComparer.Ordinal);

    /// <summary>Returns <paramref name="length"/> random letters and digits.</summary>
    public string Token(int length)
    {
        Span<char> chars = stackalloc char[length];
        if (random is null)
        {
            RandomNumberGenerator.GetItems(Alphabet, chars);
        }
        else
        {
            random.GetItems(Alphabet, chars);
        }

        return new string(chars);
    }

    /// <summary>Returns a new multipart boundary, different from every earlier one.</summary>
    /// <remarks>
    /// "=_" followed by 28 letters/digits (about 166 bits). The boundary cannot occur in encoded content:
    /// base64 never produces '_'; quoted-printable always follows '=' with a hex digit or CR; and 7bit/8bit
    /// content is only chosen when it does not contain "=_" at all. Part headers never start a line with "--".
    /// </remarks>
    public string Boundary()
    {
        while (true)
        {
            string boundary = "=_" + Token(28);
            if (_boundaries.Add(boundary))
            {
                return boundary;
            }
        }
    }
}
