namespace ModernMail.Mime.Internal;

/// <summary>What a media type allows: composite types (RFC 2046 §5) cannot be sent like a leaf.</summary>
internal static class MediaTypeRules
{
    /// <summary>multipart/*: needs parts and a boundary, which only the tree builder makes from the message itself.</summary>
    public static bool IsMultipart(string mediaType) => mediaType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// message/* bodies may only be 7bit, 8bit or binary (RFC 2045 §6.4, RFC 2046 §5.2); message/global is the exception
    /// and may be encoded (RFC 6532 §3.5).
    /// </summary>
    public static bool IsIdentityOnly(string mediaType)
        => mediaType.StartsWith("message/", StringComparison.OrdinalIgnoreCase) && !mediaType.Equals("message/global", StringComparison.OrdinalIgnoreCase);

    /// <summary>message/partial and message/external-body must be 7bit (RFC 2046 §5.2.2.1, §5.2.3).</summary>
    public static bool IsSevenBitOnly(string mediaType)
        => mediaType.Equals("message/partial", StringComparison.OrdinalIgnoreCase) || mediaType.Equals("message/external-body", StringComparison.OrdinalIgnoreCase);
}
