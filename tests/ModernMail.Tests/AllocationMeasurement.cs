using Xunit;

namespace ModernMail.Tests;

/// <summary>
/// Tests that count allocated bytes run alone: an awaited read may resume on another thread, so
/// per-thread counters are unreliable, and the process-wide counter is only meaningful when no
/// other test is allocating at the same time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationMeasurement
{
    public const string Name = "Allocation measurement";

    /// <summary>Bytes allocated by the whole process so far.</summary>
    public static long AllocatedBytes() => GC.GetTotalAllocatedBytes(precise: true);

    /// <summary>The fewest bytes allocated over <paramref name="runs"/> runs of <paramref name="action"/>: work left behind by
    /// earlier tests (closing sockets, pool timers) can only add to the process-wide counter, never subtract.</summary>
    public static async Task<long> LeastAllocatedAsync(Func<Task> action, int runs = 3)
    {
        long least = long.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            long before = AllocatedBytes();
            await action();
            least = Math.Min(least, AllocatedBytes() - before);
        }
        return least;
    }
}
