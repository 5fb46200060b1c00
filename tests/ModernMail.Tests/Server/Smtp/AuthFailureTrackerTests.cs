using System.Net;
using Microsoft.Extensions.Time.Testing;
using ModernMail.Server.Smtp;
using Xunit;

namespace ModernMail.Tests.Server.Smtp;

public sealed class AuthFailureTrackerTests
{
    private static readonly IPAddress s_attacker = IPAddress.Parse("192.0.2.7");
    private static readonly IPAddress s_other = IPAddress.Parse("192.0.2.8");

    [Fact]
    public void TenFailuresWithinAMinute_BlockThatAddress_ForTheBlockDuration()
    {
        var time = new FakeTimeProvider();
        var tracker = new AuthFailureTracker(10, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(15), time);
        for (int i = 0; i < 9; i++)
        {
            Assert.False(tracker.RecordFailure(s_attacker));
            time.Advance(TimeSpan.FromSeconds(5));
        }
        Assert.False(tracker.IsBlocked(s_attacker));
        Assert.True(tracker.RecordFailure(s_attacker));
        Assert.True(tracker.IsBlocked(s_attacker));
        Assert.False(tracker.IsBlocked(s_other));

        time.Advance(TimeSpan.FromMinutes(15) - TimeSpan.FromSeconds(1));
        Assert.True(tracker.IsBlocked(s_attacker));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(tracker.IsBlocked(s_attacker));
        // After the block the count starts over.
        Assert.False(tracker.RecordFailure(s_attacker));
    }

    [Fact]
    public void FailuresSpreadOverMoreThanTheWindow_DoNotBlock()
    {
        var time = new FakeTimeProvider();
        var tracker = new AuthFailureTracker(10, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(15), time);
        for (int i = 0; i < 30; i++)
        {
            Assert.False(tracker.RecordFailure(s_attacker));
            time.Advance(TimeSpan.FromSeconds(7)); // 9 failures per 63 s
        }
        Assert.False(tracker.IsBlocked(s_attacker));
    }
}
