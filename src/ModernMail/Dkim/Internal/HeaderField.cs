namespace ModernMail.Dkim.Internal;

/// <summary>One header field inside a <see cref="HeaderBlock"/>: where its raw bytes (folds and final line break included) are.</summary>
/// <param name="Start">Offset of the first byte of the field name.</param>
/// <param name="Length">Length of the raw field including its terminating line break.</param>
/// <param name="NameLength">Length of the field name (before the colon, trailing WSP removed); the whole line when it has no colon.</param>
internal readonly record struct HeaderField(int Start, int Length, int NameLength);
