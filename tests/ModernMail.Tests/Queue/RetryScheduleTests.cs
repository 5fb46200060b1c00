using ModernMail.Queue;
using ModernMail.Queue.Internal;
using Xunit;

namespace ModernMail.Tests.Queue;

public sealed class RetryScheduleTests
{
    [Fact]
    public void Delay_Defaults_DoublesFrom300WithUpwardJitterAndCapsAt4000()
    {
        var options = new QueueOptions();
        var random = new Random(7);
        for (int run = 0; run < 200; run++)
        {
            Assert.InRange(RetrySchedule.Delay(1, options, random).TotalSeconds, 300, 330);
            Assert.InRange(RetrySchedule.Delay(2, options, random).TotalSeconds, 600, 660);
            Assert.InRange(RetrySchedule.Delay(3, options, random).TotalSeconds, 1200, 1320);
            Assert.InRange(RetrySchedule.Delay(4, options, random).TotalSeconds, 2400, 2640);
            Assert.InRange(RetrySchedule.Delay(5, options, random).TotalSeconds, 3600, 4000);
            Assert.InRange(RetrySchedule.Delay(40, options, random).TotalSeconds, 3600, 4000);
        }
    }

    [Fact]
    public void Delay_SameSeed_SameSchedule_DifferentSeeds_Differ()
    {
        var options = new QueueOptions();
        double[] Run(int seed) { var r = new Random(seed); return Enumerable.Range(1, 6).Select(n => RetrySchedule.Delay(n, options, r).TotalMilliseconds).ToArray(); }

        Assert.Equal(Run(1), Run(1));
        Assert.NotEqual(Run(1), Run(2));
    }

    [Fact]
    public void Delay_Configured_UsesOptions()
    {
        var options = new QueueOptions { FirstRetryDelay = TimeSpan.FromSeconds(1), MaxRetryDelay = TimeSpan.FromSeconds(3), RetryJitter = 0 };
        var random = new Random(1);
        Assert.Equal([1.0, 2.0, 3.0, 3.0], Enumerable.Range(1, 4).Select(n => RetrySchedule.Delay(n, options, random).TotalSeconds));
    }
}
