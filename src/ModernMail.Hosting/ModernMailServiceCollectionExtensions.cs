using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModernMail;
using ModernMail.Delivery;
using ModernMail.Dns;
using ModernMail.Hosting.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds ModernMail to an <see cref="IServiceCollection"/>.</summary>
public static class ModernMailServiceCollectionExtensions
{
    /// <summary>Registers <see cref="MailBroker"/>, the delivery engine (<see cref="SmtpTransport"/> as <see cref="IMailTransport"/>) and the
    /// DNS lookup (<see cref="IDnsLookup"/>) as singletons, configured by <paramref name="configure"/> through <c>IOptions&lt;BrokerConfig&gt;</c>.</summary>
    /// <remarks>The options are validated when the host starts (<c>ValidateOnStart</c>); a bad setting stops the start with an
    /// <see cref="OptionsValidationException"/> naming it. <see cref="BrokerConfig.TimeProvider"/> and <see cref="BrokerConfig.LoggerFactory"/>,
    /// unless set, are the container's <see cref="TimeProvider"/> and <see cref="ILoggerFactory"/>. Services registered before
    /// (an <see cref="IDnsLookup"/>, an <see cref="IMailTransport"/>) are kept. Add the queue with the returned builder.</remarks>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IModernMailBuilder AddModernMail(this IServiceCollection services, Action<BrokerConfig> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = AddCore(services, nameof(BrokerConfig), configuration: null);
        services.Configure(configure);
        return builder;
    }

    /// <summary>As <see cref="AddModernMail(IServiceCollection, Action{BrokerConfig})"/>, with <see cref="BrokerConfig"/> bound from
    /// <paramref name="configuration"/> (typically <c>configuration.GetSection("ModernMail")</c>), then <paramref name="configure"/> if given.</summary>
    /// <remarks>The queue's <see cref="ModernMail.Queue.QueueOptions"/> bind from the child section "Queue". Validation messages name the
    /// setting by its configuration path ("ModernMail:HostName").</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configuration"/> is null.</exception>
    public static IModernMailBuilder AddModernMail(this IServiceCollection services, IConfiguration configuration, Action<BrokerConfig>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        string section = configuration is IConfigurationSection { Path: { Length: > 0 } path } ? path : nameof(BrokerConfig);
        var builder = AddCore(services, section, configuration);
        services.AddOptions<BrokerConfig>().Bind(configuration);
        if (configure is not null)
        {
            services.Configure(configure);
        }
        return builder;
    }

    private static ModernMailBuilder AddCore(IServiceCollection services, string section, IConfiguration? configuration)
    {
        services.AddOptions<BrokerConfig>()
            .PostConfigure<IServiceProvider>(static (config, provider) =>
            {
                // The host's clock and logging, unless the application chose others for the broker.
                if (ReferenceEquals(config.TimeProvider, TimeProvider.System) && provider.GetService<TimeProvider>() is { } time)
                {
                    config.TimeProvider = time;
                }
                config.LoggerFactory ??= provider.GetService<ILoggerFactory>();
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BrokerConfig>>(new BrokerConfigValidator(section)));

        services.TryAddSingleton<IDnsLookup>(static provider =>
            DnsClientLookup.FromConfiguration(provider.GetRequiredService<IOptions<BrokerConfig>>().Value, nameof(BrokerConfig.DnsServers)));
        services.TryAddSingleton(static provider =>
            new SmtpTransport(provider.GetRequiredService<IOptions<BrokerConfig>>().Value, provider.GetRequiredService<IDnsLookup>()));
        services.TryAddSingleton<IMailTransport>(static provider => provider.GetRequiredService<SmtpTransport>());
        // One engine: the broker sends through the transport the queue worker uses (one connection pool, one DNS cache); the container disposes it.
        services.TryAddSingleton(static provider =>
            new MailBroker(provider.GetRequiredService<IOptions<BrokerConfig>>().Value, provider.GetRequiredService<SmtpTransport>(), ownsTransport: false));
        return new ModernMailBuilder(services, configuration);
    }
}
