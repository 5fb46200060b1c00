using Microsoft.Extensions.Options;
using ModernMail.Queue;

namespace ModernMail.Hosting.Internal;

/// <summary>Validates <see cref="QueueOptions"/> at host start with the queue's own checks (<c>QueueOptions.Validate</c>).</summary>
internal sealed class QueueOptionsValidator(string section) : IValidateOptions<QueueOptions>
{
    public ValidateOptionsResult Validate(string? name, QueueOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail(OptionsErrors.Describe(section, typeof(QueueOptions), ex));
        }
    }
}
