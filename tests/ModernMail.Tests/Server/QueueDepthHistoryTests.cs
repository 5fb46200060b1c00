using ModernMail.Diagnostics;
using ModernMail.Server.Status;
using ModernMail.Tests.Queue;
using Xunit;

namespace ModernMail.Tests.Server;

/// <summary>The status page's queue depth history: the gauge's counts, one sample per call, at most 120 kept, oldest first.</summary>
public sealed class QueueDepthHistoryTests
{
    [Fact]
    public async Task Samples_AreTheGaugeCounts_AndTheRingKeepsTheNewest120_OldestFirst()
    {
        await using var bed = new QueueTestBed();
        var history = new QueueDepthHistory(bed.Queue.Store, bed.Time);
        var ct = TestContext.Current.CancellationToken;

        // Before a worker registers the store with the gauge there is nothing to sample.
        Assert.Null(await history.ReadAsync(ct));
        await history.SampleAsync(ct);
        Assert.Empty(history.Samples);

        using var registration = QueueDepthGauge.Register(bed.Queue.Store, bed.Time);
        await bed.EnqueueAsync("sender@sender.test", "a@a.test", "b@b.test");
        for (int i = 0; i < QueueDepthHistory.Capacity + 5; i++)
        {
            if (i == QueueDepthHistory.Capacity)
            {
                await bed.EnqueueAsync("sender@sender.test", "c@c.test");
            }
            bed.Time.Advance(QueueDepthHistory.Interval);
            await history.SampleAsync(ct);
        }

        var samples = history.Samples;
        Assert.Equal(QueueDepthHistory.Capacity, samples.Count);
        Assert.Equal(samples.OrderBy(s => s.At).Select(s => s.At), samples.Select(s => s.At));
        Assert.Equal(bed.Time.GetUtcNow(), samples[^1].At);
        Assert.Equal(bed.Time.GetUtcNow() - ((QueueDepthHistory.Capacity - 1) * QueueDepthHistory.Interval), samples[0].At);
        Assert.Equal(2, samples[0].Queued);
        Assert.Equal(3, samples[^1].Queued);
        Assert.All(samples, s => Assert.Equal((0, 0), (s.Delivering, s.Deferred)));
    }
}
