namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the parts of ModernMail that <see cref="ModernMailServiceCollectionExtensions.AddModernMail(IServiceCollection, Action{ModernMail.BrokerConfig})"/>
/// does not register by itself: the durable queue and its store (<see cref="ModernMailBuilderExtensions.AddSqliteQueue"/>, <c>AddPostgreSqlQueue</c>).</summary>
public interface IModernMailBuilder
{
    /// <summary>The service collection ModernMail was added to.</summary>
    IServiceCollection Services { get; }
}
