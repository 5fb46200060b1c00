using ModernMail.Queue;
using Xunit;

namespace ModernMail.Tests.Queue;

/// <summary>What serve prints about its store never carries the database password.</summary>
public sealed class QueueStoreDescribeTests
{
    [Theory]
    [InlineData("postgres:Host=db;Database=mail;Username=mm;Password=s3cret", "s3cret")]
    [InlineData("postgresql:host=db;PWD=s3cret;database=mail", "s3cret")]
    [InlineData("postgres:Host=db;Password='a;b=c'", "a;b=c")]
    public void ConnectionStrings_LoseTheirPassword(string store, string secret)
    {
        string shown = QueueStoreFactory.Describe(store);
        Assert.DoesNotContain(secret, shown, StringComparison.Ordinal);
        Assert.StartsWith(store[..store.IndexOf(':')] + ":", shown, StringComparison.Ordinal);
        Assert.Contains("db", shown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sqlite:/var/lib/mailbroker")]
    [InlineData("/var/lib/mailbroker/queue.db")]
    public void Paths_AreShownAsIs(string store) => Assert.Equal(store, QueueStoreFactory.Describe(store));
}
