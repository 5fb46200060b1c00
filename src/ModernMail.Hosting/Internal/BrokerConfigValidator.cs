using Microsoft.Extensions.Options;
using ModernMail.Dkim;

namespace ModernMail.Hosting.Internal;

/// <summary>Validates <see cref="BrokerConfig"/> at host start (<c>ValidateOnStart</c>) by the rules the engine itself applies.</summary>
/// <remarks>The rules have one owner each (host name and limits: <c>SmtpTransport</c>; routes: the MX router; DNS servers:
/// <c>DnsClientLookup</c>; keys: the DKIM signers), so this builds a broker from the options and disposes it, instead of a
/// second copy of those rules that would drift. Building one opens no connection and sends no query.</remarks>
internal sealed class BrokerConfigValidator(string section) : IValidateOptions<BrokerConfig>
{
    public ValidateOptionsResult Validate(string? name, BrokerConfig options)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            using var probe = new MailBroker(options);
            return ValidateOptionsResult.Success;
        }
        catch (Exception ex) when (ex is ArgumentException or DkimException or FormatException)
        {
            return ValidateOptionsResult.Fail(OptionsErrors.Describe(section, typeof(BrokerConfig), ex));
        }
    }
}
