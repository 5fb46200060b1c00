using ModernMail.Delivery.Internal;
using ModernMail.Delivery.Internal.Shaping;

namespace ModernMail.Delivery;

public sealed partial class SmtpTransport
{
    private static readonly TimeSpan s_clusterPoll = TimeSpan.FromMilliseconds(200);

    /// <summary>Lets a message to <paramref name="destination"/> go now, after a wait within <see cref="Shaping.TrafficShaping.MaxWait"/>
    /// for the message rate; otherwise holds every recipient back (suspended, or the rate frees no slot in time) and returns false.</summary>
    private async Task<bool> AdmitAsync(DomainDelivery request, Destination destination, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (destination.SuspendedUntil(now) is { } suspended)
        {
            HoldAll(request, suspended, $"destination {destination.Name} is suspended until {suspended:u} after throttling replies");
            return false;
        }
        var deadline = now + _shaper!.MaxWait;
        // Over a cluster the shared count (which includes this node) is the one that matters.
        bool shared = ClusterLimits is not null && (destination.Rule.MessagesPerMinute is not null || destination.Rule.MessagesPerHour is not null);
        while (true)
        {
            TimeSpan wait;
            if (shared)
            {
                var (perMinute, perHour) = destination.RatesAt(now);
                wait = await ClusterLimits!.TryTakeMessageAsync(destination.Name, perMinute, perHour, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                wait = destination.TakeMessage(now);
            }
            if (wait == TimeSpan.Zero)
            {
                return true;
            }
            if (now + wait > deadline)
            {
                HoldAll(request, now + wait, $"destination {destination.Name} is at its message rate limit");
                return false;
            }
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            now = _time.GetUtcNow();
        }
    }

    /// <summary>A connection slot of <paramref name="destination"/>, waiting within the shaper's limit (a slot freed or a session back
    /// in the pool wakes the wait); <c>Held</c> set when none came in time.</summary>
    private async Task<(bool Acquired, bool Pooled, DateTimeOffset? Held, string? Reason, bool Cluster)> WaitForSlotAsync(string key, Destination destination,
        CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var deadline = now + _shaper!.MaxWait;
        bool freed = false;
        while (true)
        {
            if (_pool.HasIdle(key))
            {
                return (false, true, null, null, false);
            }
            var wait = destination.TryOpen(now);
            bool cluster = false;
            bool clusterFull = false;
            if (wait == TimeSpan.Zero && ClusterLimits is { } gate && destination.MaxConnectionsAt(now) is int limit)
            {
                // The node has room; the cluster must too. Other nodes' closes do not wake us: look again shortly.
                cluster = await gate.TryAcquireAsync(destination.Name, limit, cancellationToken).ConfigureAwait(false);
                if (!cluster)
                {
                    destination.Release();
                    wait = s_clusterPoll;
                    clusterFull = true;
                }
            }
            if (wait == TimeSpan.Zero)
            {
                return (true, false, null, null, cluster);
            }
            if (wait == Timeout.InfiniteTimeSpan && !freed)
            {
                // Idle connections to the destination's other hosts hold slots: close them, and take the first one freed.
                _pool.CloseIdle(destination.Name + "|");
                freed = true;
            }
            var remaining = deadline - now;
            bool atLimit = wait == Timeout.InfiniteTimeSpan;
            if (remaining <= TimeSpan.Zero || (!atLimit && wait > remaining))
            {
                string reason = atLimit || clusterFull
                    ? $"destination {destination.Name} has all its {destination.MaxConnectionsAt(now)} connections in use{(clusterFull ? " across the cluster" : "")}"
                    : $"destination {destination.Name} is at its new-connection rate limit";
                return (false, false, now + (atLimit ? _shaper.MaxWait : wait), reason, false);
            }
            if (atLimit)
            {
                await destination.WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            }
            now = _time.GetUtcNow();
        }
    }

    /// <summary>Holds every recipient of the group back until <paramref name="until"/>: transient, untried, category RateLimited.</summary>
    private void HoldAll(DomainDelivery request, DateTimeOffset until, string reason)
    {
        var group = request.Group;
        string detail = "held back by traffic shaping: " + reason;
        ShapingLog.HeldBack(_logger, request.Destination?.Name ?? group.Domain, group.Recipients.Count, until, reason);
        for (int i = 0; i < group.Recipients.Count; i++)
        {
            Record(request, group.Indexes[i], new DeliveryResult(group.Recipients[i], delivered: false, isTransient: true)
            {
                Stage = SmtpStage.None,
                Category = BounceCategory.RateLimited,
                AppliedTlsPolicy = request.Policy,
                RetryAfter = until,
                Detail = detail,
            });
        }
    }

    /// <summary>Tells the destination what its replies said: a delivery ends a run of throttling replies; a rate-limit or
    /// reputation reply (not our own holding back) slows it down.</summary>
    private void Observe(DomainDelivery request)
    {
        if (request.Destination is not { } destination)
        {
            return;
        }
        bool delivered = false;
        string? throttle = null;
        foreach (int index in request.Group.Indexes)
        {
            var result = request.Results[index];
            if (result is null || result.RetryAfter is not null)
            {
                continue;
            }
            delivered |= result.Delivered;
            if (result.Category is BounceCategory.RateLimited or BounceCategory.SpamBlock)
            {
                throttle ??= result.Reply?.ToString() ?? result.Detail ?? result.Category.ToString();
            }
        }
        if (throttle is not null)
        {
            destination.Throttled(_time.GetUtcNow(), throttle);
        }
        else if (delivered)
        {
            destination.Delivered();
        }
    }
}
