namespace ModernMail.Cli;

/// <summary>Creates the <see cref="MailBroker"/> every command goes through, turning configuration errors into usage errors.</summary>
internal static class Brokers
{
    public static MailBroker Create(BrokerConfig config)
    {
        try
        {
            return new MailBroker(config);
        }
        catch (ArgumentException ex)
        {
            // The broker validates the host name, routes and DNS servers before any I/O.
            throw new UsageException(ex.Message, ex);
        }
    }
}
