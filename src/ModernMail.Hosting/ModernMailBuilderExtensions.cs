using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModernMail;
using ModernMail.Delivery;
using ModernMail.Hosting.Internal;
using ModernMail.Queue;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the durable queue to ModernMail's services.</summary>
public static class ModernMailBuilderExtensions
{
    /// <summary>Adds the durable queue over the SQLite store at <paramref name="path"/> (a directory that will hold "queue.db", or a
    /// ".db" file): <see cref="MailQueue"/>, its <see cref="IQueueStore"/> and <see cref="QueueWorker"/> as singletons, and the worker as a hosted service.</summary>
    /// <param name="builder">The builder <c>AddModernMail</c> returned.</param>
    /// <param name="path">The store's location, as <see cref="SqliteQueueStore(string, TimeSpan?)"/> takes it.</param>
    /// <remarks>See <see cref="AddQueue(IModernMailBuilder, Func{IServiceProvider, IQueueStore})"/>.</remarks>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null, empty or white space.</exception>
    /// <exception cref="InvalidOperationException">A queue is registered already.</exception>
    public static IModernMailBuilder AddSqliteQueue(this IModernMailBuilder builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        builder.Services.Configure<QueueOptions>(options => options.Store = "sqlite:" + path);
        return builder.AddQueue();
    }

    /// <summary>Adds the durable queue over the store <see cref="QueueOptions.StoreFactory"/> makes or <see cref="QueueOptions.Store"/> names
    /// (for example "sqlite:/var/spool/app" from the configuration key "ModernMail:Queue:Store").</summary>
    /// <param name="builder">The builder <c>AddModernMail</c> returned.</param>
    /// <exception cref="InvalidOperationException">A queue is registered already.</exception>
    public static IModernMailBuilder AddQueue(this IModernMailBuilder builder) =>
        builder.AddQueue(static provider => MailQueue.OpenStore(provider.GetRequiredService<IOptions<QueueOptions>>().Value));

    /// <summary>Configures the queue's <see cref="QueueOptions"/> (retries, concurrency, lifetime); runs after the configuration section "Queue" is bound.</summary>
    /// <param name="builder">The builder <c>AddModernMail</c> returned.</param>
    /// <param name="configure">Changes the options.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IModernMailBuilder ConfigureQueue(this IModernMailBuilder builder, Action<QueueOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Adds the durable queue over the store <paramref name="storeFactory"/> creates: <see cref="IQueueStore"/>, <see cref="MailQueue"/>
    /// and <see cref="QueueWorker"/> as singletons (the container disposes them), and the worker as a hosted service.</summary>
    /// <param name="builder">The builder <c>AddModernMail</c> returned.</param>
    /// <param name="storeFactory">Creates the store once; the container owns and disposes it.</param>
    /// <remarks>
    /// <para><see cref="QueueOptions"/> are validated when the host starts. Unless set, <see cref="QueueOptions.HostName"/> and
    /// <see cref="QueueOptions.DkimSignatures"/> are the broker's (so queued messages are composed and signed as <see cref="MailBroker"/>
    /// sends them), and <see cref="QueueOptions.TimeProvider"/> is the broker's clock.</para>
    /// <para>The worker starts with the host and delivers through the registered <see cref="IMailTransport"/>. On shutdown it takes no
    /// new messages and lets deliveries in flight finish until the host's shutdown timeout (<c>HostOptions.ShutdownTimeout</c>), then
    /// cancels them and gives their messages back to the queue.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="storeFactory"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A queue is registered already.</exception>
    public static IModernMailBuilder AddQueue(this IModernMailBuilder builder, Func<IServiceProvider, IQueueStore> storeFactory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(storeFactory);
        var services = builder.Services;
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(MailQueue))
            {
                throw new InvalidOperationException("A ModernMail queue is registered already: call AddSqliteQueue, AddPostgreSqlQueue or AddQueue once.");
            }
        }

        var configuration = (builder as ModernMailBuilder)?.Configuration;
        var options = services.AddOptions<QueueOptions>();
        string section = nameof(QueueOptions);
        if (configuration is not null)
        {
            // Inserted first, so that the store AddSqliteQueue sets and ConfigureQueue's changes (registered before or after) win.
            var queueSection = configuration.GetSection("Queue");
            services.Insert(0, ServiceDescriptor.Singleton<IConfigureOptions<QueueOptions>>(new ConfigureFromConfigurationOptions<QueueOptions>(queueSection)));
            services.AddSingleton<IOptionsChangeTokenSource<QueueOptions>>(new ConfigurationChangeTokenSource<QueueOptions>(queueSection));
            section = queueSection.Path;
        }
        options.PostConfigure<IOptions<BrokerConfig>>(static (queue, broker) =>
        {
            try
            {
                FromBroker(queue, broker.Value);
            }
            catch (OptionsValidationException)
            {
                // The broker's own validation reports its settings; the queue's settings are still checked, so one start names both.
            }
        }).ValidateOnStart();
        services.AddSingleton<IValidateOptions<QueueOptions>>(new QueueOptionsValidator(section));

        services.AddSingleton(storeFactory);
        services.AddSingleton(static provider =>
            new MailQueue(provider.GetRequiredService<IQueueStore>(), provider.GetRequiredService<IOptions<QueueOptions>>().Value));
        services.AddSingleton(static provider =>
            new QueueWorker(provider.GetRequiredService<MailQueue>(), provider.GetRequiredService<IMailTransport>(), provider.GetService<ILogger<QueueWorker>>()));
        services.AddHostedService(static provider => new QueueWorkerService(provider.GetRequiredService<QueueWorker>));
        return builder;
    }

    /// <summary>What the queue composes and signs with, and its clock: the broker's, unless the queue's options say otherwise.</summary>
    private static void FromBroker(QueueOptions queue, BrokerConfig broker)
    {
        if (string.Equals(queue.HostName, new QueueOptions().HostName, StringComparison.Ordinal))
        {
            queue.HostName = broker.HostName;
        }
        if (queue.DkimSignatures.Count == 0)
        {
            if (broker.DkimConfig is { } single)
            {
                queue.DkimSignatures.Add(single);
            }
            foreach (var signature in broker.DkimSignatures)
            {
                queue.DkimSignatures.Add(signature);
            }
        }
        if (ReferenceEquals(queue.TimeProvider, TimeProvider.System))
        {
            queue.TimeProvider = broker.TimeProvider;
        }
    }
}
