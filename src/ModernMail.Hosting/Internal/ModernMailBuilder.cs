using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ModernMail.Hosting.Internal;

/// <summary>The builder <c>AddModernMail</c> returns; remembers the configuration section so the queue's options bind from its "Queue" child.</summary>
internal sealed class ModernMailBuilder(IServiceCollection services, IConfiguration? configuration) : IModernMailBuilder
{
    public IServiceCollection Services { get; } = services;

    /// <summary>The section <c>AddModernMail(configuration)</c> was given; null when configured in code only.</summary>
    public IConfiguration? Configuration { get; } = configuration;
}
