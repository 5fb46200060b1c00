namespace ModernMail.Hosting.Internal;

/// <summary>Turns the argument exceptions of the library's own checks into validation messages that name the setting.</summary>
internal static class OptionsErrors
{
    /// <summary>"Section:Setting: reason" when the exception names a property of <paramref name="options"/>, else "Section: reason".</summary>
    /// <param name="section">The configuration path ("ModernMail") or, configured in code, the options type's name.</param>
    /// <param name="options">The options type whose property names are recognized in <see cref="ArgumentException.ParamName"/>.</param>
    /// <param name="exception">What the owner of the rule threw.</param>
    public static string Describe(string section, Type options, Exception exception)
    {
        string message = exception.Message;
        string? setting = null;
        if (exception is ArgumentException { ParamName: { Length: > 0 } param })
        {
            // The argument helpers append " (Parameter 'x')": the setting's name goes in front instead.
            message = message.Replace($" (Parameter '{param}')", string.Empty, StringComparison.Ordinal);
            // SmtpTransport checks "config.MaxParallelDomains"; QueueOptions.Validate checks "MaxConcurrentDeliveries".
            string property = param[(param.LastIndexOf('.') + 1)..];
            if (options.GetProperty(property) is not null)
            {
                setting = property;
            }
        }
        message = message.ReplaceLineEndings(" ");
        return setting is null ? $"{section}: {message}" : $"{section}:{setting}: {message}";
    }
}
