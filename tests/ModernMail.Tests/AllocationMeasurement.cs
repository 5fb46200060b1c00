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
}
