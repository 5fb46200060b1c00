using System.Net.Mail;

namespace ModernMail.Routing.Internal;

/// <summary>The recipients of one message that share a domain, with their positions in the envelope.</summary>
/// <param name="Domain">The ASCII (punycode), lower-case domain; "" when the domain is invalid.</param>
/// <param name="Recipients">The recipients.</param>
/// <param name="Indexes">Each recipient's index in the envelope.</param>
/// <param name="Error">Why the domain is unusable, when it is.</param>
internal sealed record DomainGroup(string Domain, List<MailAddress> Recipients, List<int> Indexes, string? Error = null);
