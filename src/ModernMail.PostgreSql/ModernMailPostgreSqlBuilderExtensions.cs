using Microsoft.Extensions.Options;
using ModernMail.PostgreSql;
using ModernMail.Queue;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the durable queue over PostgreSQL to ModernMail's services.</summary>
public static class ModernMailPostgreSqlBuilderExtensions
{
    /// <summary>Adds the durable queue over PostgreSQL through the <see cref="NpgsqlDataSource"/> registered in the container (for example by
    /// Npgsql.DependencyInjection's <c>AddNpgsqlDataSource</c>), shared with the rest of the application; the container owns it.</summary>
    /// <param name="builder">The builder <c>AddModernMail</c> returned.</param>
    /// <remarks>As <see cref="ModernMailBuilderExtensions.AddQueue(IModernMailBuilder, Func{IServiceProvider, IQueueStore})"/>: the queue,
    /// its worker as a hosted service, options validated at start. The schema is created on first use.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A queue is registered already.</exception>
    public static IModernMailBuilder AddPostgreSqlQueue(this IModernMailBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        NameStore(builder, static provider => provider.GetRequiredService<NpgsqlDataSource>());
        return builder.AddQueue(static provider => new PostgreSqlQueueStore(provider.GetRequiredService<NpgsqlDataSource>()));
    }

    /// <summary>Adds the durable queue over PostgreSQL through <paramref name="dataSource"/>, which the caller owns (the queue leaves it open).</summary>
    /// <param name="builder">The builder <c>AddModernMail</c> returned.</param>
    /// <param name="dataSource">The data source the store opens its connections from.</param>
    /// <remarks>See <see cref="AddPostgreSqlQueue(IModernMailBuilder)"/>.</remarks>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">A queue is registered already.</exception>
    public static IModernMailBuilder AddPostgreSqlQueue(this IModernMailBuilder builder, NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        NameStore(builder, _ => dataSource);
        return builder.AddQueue(_ => new PostgreSqlQueueStore(dataSource));
    }

    /// <summary>Adds the durable queue over the PostgreSQL database an Npgsql connection string names; the store keeps its own pool.</summary>
    /// <param name="builder">The builder <c>AddModernMail</c> returned.</param>
    /// <param name="connectionString">An Npgsql connection string ("Host=db;Database=mail;Username=mail").</param>
    /// <remarks>See <see cref="AddPostgreSqlQueue(IModernMailBuilder)"/>.</remarks>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> is null, empty or white space.</exception>
    /// <exception cref="InvalidOperationException">A queue is registered already.</exception>
    public static IModernMailBuilder AddPostgreSqlQueue(this IModernMailBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.Services.Configure<QueueOptions>(options => options.Store = "postgres:" + connectionString);
        return builder.AddQueue(_ => new PostgreSqlQueueStore(connectionString));
    }

    /// <summary>Names the store in logs and health checks ("postgres:Host=...", password masked where shown).</summary>
    private static void NameStore(IModernMailBuilder builder, Func<IServiceProvider, NpgsqlDataSource> dataSource) =>
        builder.Services.AddSingleton<IConfigureOptions<QueueOptions>>(provider =>
            new ConfigureOptions<QueueOptions>(options => options.Store = "postgres:" + dataSource(provider).ConnectionString));
}
