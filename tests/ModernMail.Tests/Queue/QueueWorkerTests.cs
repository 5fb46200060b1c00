using System.Collections.Concurrent;
using System.Text;
using MimeKit;
using ModernMail.Delivery;
using ModernMail.Queue;
using ModernMail.Queue.Internal;
using Xunit;
using static ModernMail.Tests.Queue.ScriptedTransport;

namespace ModernMail.Tests.Queue;

public sealed class QueueWorkerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunDue_AllAccepted_RecipientsDeliveredAndEventsRaised()
    {
        await using var bed = new QueueTestBed();
        var transport = new ScriptedTransport((_, _) => Reply(250, "2.0.0", "OK queued"));
        await using var worker = new QueueWorker(bed.Queue, transport);
        var events = new ConcurrentBag<QueueEventArgs>();
        worker.RecipientUpdated += (_, e) => events.Add(e);
        byte[] raw = QueueTestBed.Message("Delivered");
        string id = await bed.EnqueueAsync("sender@sender.test", raw, "a@a.test", "b@b.test");

        int attempted = await worker.RunDueAsync(Ct);

        Assert.Equal(1, attempted);
        var status = await bed.Queue.GetAsync(id, Ct);
        Assert.NotNull(status);
        Assert.True(status.IsComplete);
        Assert.All(status.Recipients, r => Assert.Equal(RecipientState.Delivered, r.State));
        Assert.All(status.Recipients, r => Assert.Equal(1, r.Attempts));
        // One transport call per message: the transport, not the worker, groups recipients by destination.
        Assert.Equal(["a@a.test", "b@b.test"], transport.Calls.Single().Envelope.Recipients.Select(r => r.Address));
        Assert.All(transport.Calls, c => Assert.Equal(raw, c.Message));
        Assert.Equal(["a@a.test", "b@b.test"], events.Select(e => e.Recipient).Order());
        Assert.All(events, e => Assert.Equal(RecipientState.Delivered, e.State));
        Assert.Equal(0, await worker.RunDueAsync(Ct));
    }

    [Fact]
    public async Task DomainGates_CapPerDomain_AndAreForgottenWhenIdle()
    {
        var gates = new DomainGates(perDomain: 1);
        Task<IDisposable> waiting;

        using (await gates.AcquireAsync(["xn--bcher-kva.example", "a.test", "a.test"], Ct))
        {
            Assert.Equal(2, gates.Count);
            waiting = gates.AcquireAsync(["a.test"], Ct);
            await Task.Delay(50, Ct);
            Assert.False(waiting.IsCompleted); // the one slot of a.test is held
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gates.AcquireAsync(["b.test", "a.test"], cts.Token));
        }
        (await waiting).Dispose();

        Assert.Equal(0, gates.Count); // nothing is kept per domain once idle
    }

    [Fact]
    public async Task RunDue_MixedReplies_DefersOnlyTransientAndBouncesPermanent()
    {
        await using var bed = new QueueTestBed();
        var transport = new ScriptedTransport((address, attempt) => address switch
        {
            "ok@a.test" => Reply(250, "2.0.0", "OK"),
            "grey@a.test" => attempt == 1 ? Reply(450, "4.2.0", "Greylisted, try later") : Reply(250, "2.0.0", "OK"),
            "gone@a.test" => Reply(550, "5.1.1", "User unknown"),
            _ => Reply(250, "2.0.0", "OK"),
        });
        await using var worker = new QueueWorker(bed.Queue, transport);
        string id = await bed.EnqueueAsync("sender@sender.test", "ok@a.test", "grey@a.test", "gone@a.test");
        var start = bed.Time.GetUtcNow();

        await worker.RunDueAsync(Ct);

        var status = (await bed.Queue.GetAsync(id, Ct))!;
        Assert.Equal(RecipientState.Delivered, status.Recipients[0].State);
        Assert.Equal(RecipientState.Deferred, status.Recipients[1].State);
        Assert.Equal(RecipientState.Bounced, status.Recipients[2].State);
        Assert.Contains("450 4.2.0 Greylisted", status.Recipients[1].LastReply);
        Assert.Contains("550 5.1.1 User unknown", status.Recipients[2].LastReply);
        var next = status.Recipients[1].NextAttemptAt!.Value;
        Assert.InRange(next - start, TimeSpan.FromSeconds(300), TimeSpan.FromSeconds(330));

        // The bounce went out in the same pass, with the null reverse path, to the original sender.
        var bounceCall = Assert.Single(transport.Calls, c => c.Envelope.Sender is null);
        Assert.Equal("sender@sender.test", Assert.Single(bounceCall.Envelope.Recipients).Address);

        // Before the retry time nothing is due; after it only the deferred recipient is attempted again.
        bed.Time.Advance(TimeSpan.FromSeconds(290));
        Assert.Equal(0, await worker.RunDueAsync(Ct));
        bed.Time.Advance(next - bed.Time.GetUtcNow());
        int callsBefore = transport.Calls.Count;
        Assert.Equal(1, await worker.RunDueAsync(Ct));
        var retry = transport.Calls.Skip(callsBefore).Single();
        Assert.Equal(["grey@a.test"], retry.Envelope.Recipients.Select(r => r.Address));
        status = (await bed.Queue.GetAsync(id, Ct))!;
        Assert.True(status.IsComplete);
        Assert.Equal(RecipientState.Delivered, status.Recipients[1].State);
        Assert.Equal(2, status.Recipients[1].Attempts);
        Assert.Equal(1, transport.AttemptsFor("ok@a.test"));
        Assert.Equal(1, transport.AttemptsFor("gone@a.test"));
    }

    [Fact]
    public async Task Bounce_IsRfc3464Report_WithOriginalHeaders()
    {
        await using var bed = new QueueTestBed();
        var transport = new ScriptedTransport((address, _) => address == "sender@sender.test" ? Reply(250, "2.0.0", "OK") : Reply(550, "5.1.1", "No such user here"));
        await using var worker = new QueueWorker(bed.Queue, transport);
        string id = await bed.EnqueueAsync("sender@sender.test", QueueTestBed.Message("Original subject"), "nobody@a.test");
        string? bounceId = null;
        worker.RecipientUpdated += (_, e) => bounceId ??= e.BounceId;

        await worker.RunDueAsync(Ct);

        Assert.NotNull(bounceId);
        var bounceStatus = (await bed.Queue.GetAsync(bounceId, Ct))!;
        Assert.Null(bounceStatus.Sender);
        var dsnBytes = transport.Calls.Single(c => c.Envelope.Sender is null).Message;
        var message = MimeMessage.Load(new MemoryStream(dsnBytes), Ct);
        var report = Assert.IsType<MultipartReport>(message.Body);
        Assert.Equal("delivery-status", report.ReportType);
        Assert.Equal("sender@sender.test", message.To.Mailboxes.Single().Address);
        Assert.IsType<TextPart>(report[0]);
        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        Assert.Equal("dns; queue.example.test", status.StatusGroups[0]["Reporting-MTA"]);
        var recipient = status.StatusGroups[1];
        Assert.Equal("rfc822; nobody@a.test", recipient["Final-Recipient"]);
        Assert.Equal("failed", recipient["Action"]);
        Assert.Equal("5.1.1", recipient["Status"]);
        Assert.Equal("smtp; 550 5.1.1 No such user here", recipient["Diagnostic-Code"]);
        Assert.Equal("InvalidRecipient", recipient["X-ModernMail-Category"]);
        var original = Assert.IsType<TextRfc822Headers>(report[2]);
        Assert.Equal("Original subject", original.Message!.Subject);
        Assert.DoesNotContain("Body line", original.Message.TextBody ?? "");
        Assert.Equal(id, (await bed.Queue.GetAsync(id, Ct))!.Id);
    }

    [Fact]
    public async Task Bounce_OfABounce_IsNeverSent()
    {
        await using var bed = new QueueTestBed();
        var transport = new ScriptedTransport((_, _) => Reply(550, "5.1.1", "User unknown"));
        await using var worker = new QueueWorker(bed.Queue, transport);
        string id = await bed.EnqueueAsync(null, "nobody@a.test");

        Assert.Equal(1, await worker.RunDueAsync(Ct));

        var all = await bed.Queue.ListAsync(pendingOnly: false, cancellationToken: Ct);
        Assert.Equal(id, Assert.Single(all).Id);
        Assert.Equal(RecipientState.Bounced, all[0].Recipients[0].State);
        Assert.Single(transport.Calls);
    }

    [Theory]
    [InlineData(SmtpStage.RcptTo, "5.5.3", RecipientState.Deferred)] // too many recipients (RCPT): temporary per RFC 5321 §4.5.3.1.10
    [InlineData(SmtpStage.RcptTo, "5.3.4", RecipientState.Deferred)] // any 552 to RCPT, as MailBroker decides it
    [InlineData(SmtpStage.FinalDot, "5.3.4", RecipientState.Bounced)] // message too big after the data: permanent
    [InlineData(SmtpStage.FinalDot, "5.5.3", RecipientState.Bounced)] // the queue no longer guesses from the enhanced code
    public async Task Reply552_TheResultsStageDecides_TheQueueDoesNotGuess(SmtpStage stage, string enhanced, RecipientState expected)
    {
        await using var bed = new QueueTestBed(o => o.SendBounces = false);
        var transport = new ScriptedTransport((_, _) => Reply(552, enhanced, "Rejected"), stage);
        await using var worker = new QueueWorker(bed.Queue, transport);
        string id = await bed.EnqueueAsync("sender@sender.test", "x@a.test");

        await worker.RunDueAsync(Ct);

        Assert.Equal(expected, (await bed.Queue.GetAsync(id, Ct))!.Recipients[0].State);
    }

    [Fact]
    public async Task Retry_AlwaysTransient_BacksOffThenExpiresAndBouncesWithStatus447()
    {
        await using var bed = new QueueTestBed(o => o.MessageLifetime = TimeSpan.FromHours(3));
        var transport = new ScriptedTransport((address, _) => address == "sender@sender.test" ? Reply(250, "2.0.0", "OK") : null);
        await using var worker = new QueueWorker(bed.Queue, transport);
        var start = bed.Time.GetUtcNow();
        string id = await bed.EnqueueAsync("sender@sender.test", "slow@deadfirst.test");
        var attemptTimes = new List<TimeSpan>();
        QueueEventArgs? last = null;
        worker.RecipientUpdated += (_, e) => { if (e.MessageId == id) { last = e; } };

        for (int i = 0; i < 50 && last?.State != RecipientState.Expired; i++)
        {
            if (await worker.RunDueAsync(Ct) > 0)
            {
                attemptTimes.Add(bed.Time.GetUtcNow() - start);
            }
            var next = await bed.Queue.Store.GetNextDueAsync(Ct);
            if (next is { } due && due > bed.Time.GetUtcNow())
            {
                bed.Time.Advance(due - bed.Time.GetUtcNow());
            }
        }

        Assert.NotNull(last);
        Assert.Equal(RecipientState.Expired, last.State);
        // Gaps: ~300, ~600, ~1200, ~2400, then capped at <= 4000 s; the last attempt is exactly at the 3 h deadline.
        var gaps = attemptTimes.Zip(attemptTimes.Skip(1), (a, b) => (b - a).TotalSeconds).ToList();
        Assert.InRange(gaps[0], 300, 330);
        Assert.InRange(gaps[1], 600, 660);
        Assert.InRange(gaps[2], 1200, 1320);
        Assert.All(gaps, g => Assert.InRange(g, 300, 4000));
        Assert.Equal(TimeSpan.FromHours(3), attemptTimes[^1]);
        var status = (await bed.Queue.GetAsync(id, Ct))!;
        Assert.Equal(RecipientState.Expired, status.Recipients[0].State);
        Assert.Equal(attemptTimes.Count, status.Recipients[0].Attempts);
        var dsn = MimeMessage.Load(new MemoryStream(transport.Calls.Single(c => c.Envelope.Sender is null).Message), Ct);
        var deliveryStatus = Assert.IsType<MultipartReport>(dsn.Body).OfType<MessageDeliveryStatus>().Single();
        Assert.Equal("4.4.7", deliveryStatus.StatusGroups[1]["Status"]);
        Assert.Contains("connection refused", deliveryStatus.StatusGroups[1]["Diagnostic-Code"]);
        Assert.Equal("Expired", deliveryStatus.StatusGroups[1]["X-ModernMail-Category"]);
        Assert.Equal(ModernMail.Delivery.BounceCategory.Expired, last.Category);
    }

    [Fact]
    public async Task PerDomainCap_LimitsConcurrentDeliveriesToOneDomain()
    {
        await using var bed = new QueueTestBed(o => { o.MaxConcurrentDeliveries = 8; o.MaxConcurrentPerDomain = 2; o.TimeProvider = TimeProvider.System; });
        int current = 0, peak = 0, otherPeak = 0, other = 0;
        var transport = new ScriptedTransport((_, _) => Reply(250, "2.0.0", "OK"))
        {
            BeforeDeliver = async (envelope, ct) =>
            {
                bool busy = envelope.Recipients[0].Host == "busy.test";
                int now = busy ? Interlocked.Increment(ref current) : Interlocked.Increment(ref other);
                if (busy) { InterlockedMax(ref peak, now); } else { InterlockedMax(ref otherPeak, now); }
                await Task.Delay(50, ct);
                if (busy) { Interlocked.Decrement(ref current); } else { Interlocked.Decrement(ref other); }
            },
        };
        await using var worker = new QueueWorker(bed.Queue, transport);
        for (int i = 0; i < 8; i++)
        {
            await bed.EnqueueAsync("sender@sender.test", $"u{i}@busy.test");
            await bed.EnqueueAsync("sender@sender.test", $"u{i}@quiet{i}.test");
        }

        Assert.Equal(16, await worker.RunDueAsync(Ct));

        Assert.Equal(2, peak);
        Assert.True(otherPeak > 2, $"other domains should not be held back (peak {otherPeak})");
    }

    [Fact]
    public async Task StartAsync_DeliversEnqueuedMessage_AndStopAsyncReturns()
    {
        await using var bed = new QueueTestBed(o => o.TimeProvider = TimeProvider.System);
        var transport = new ScriptedTransport((_, _) => Reply(250, "2.0.0", "OK"));
        var worker = new QueueWorker(bed.Queue, transport);
        var delivered = new TaskCompletionSource<QueueEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        worker.RecipientUpdated += (_, e) => delivered.TrySetResult(e);
        await worker.StartAsync(Ct);

        string id = await bed.EnqueueAsync("sender@sender.test", "a@a.test");
        var e = await delivered.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await worker.StopAsync(Ct);

        Assert.Equal(id, e.MessageId);
        Assert.Equal(RecipientState.Delivered, e.State);
        Assert.True((await bed.Queue.GetAsync(id, Ct))!.IsComplete);
    }

    [Fact]
    public async Task StopAsync_WhenTimeRunsOut_CancelsDeliveryAndReturnsMessageToQueue()
    {
        await using var bed = new QueueTestBed(o => o.TimeProvider = TimeProvider.System);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var transport = new ScriptedTransport((_, _) => Reply(250, "2.0.0", "OK"))
        {
            BeforeDeliver = async (_, ct) => { started.TrySetResult(); await Task.Delay(Timeout.Infinite, ct); },
        };
        var worker = new QueueWorker(bed.Queue, transport);
        await worker.StartAsync(Ct);
        string id = await bed.EnqueueAsync("sender@sender.test", "a@a.test");
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(RecipientState.Delivering, (await bed.Queue.GetAsync(id, Ct))!.Recipients[0].State);

        using var grace = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await worker.StopAsync(grace.Token);

        var status = (await bed.Queue.GetAsync(id, Ct))!;
        Assert.Equal(RecipientState.Queued, status.Recipients[0].State);
        Assert.Null(status.LeaseOwner);
        Assert.Equal(0, status.Recipients[0].Attempts);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    [Theory]
    [InlineData("sender@sender.test", "bob@a.test.")]
    [InlineData("sender@sender.test.", "bob@a.test")]
    [InlineData("sender@sender.test", "\u0085bob@a.test")]
    public async Task Enqueue_EnvelopeAddressTheTransportWouldRefuse_RefusedNotStored(string sender, string recipient)
    {
        await using var bed = new QueueTestBed();

        await Assert.ThrowsAsync<ArgumentException>(() => bed.EnqueueAsync(sender, recipient));

        var transport = new ScriptedTransport((_, _) => Reply(250, "2.0.0", "OK"));
        await using var worker = new QueueWorker(bed.Queue, transport);
        Assert.Equal(0, await worker.RunDueAsync(Ct));
    }
}
