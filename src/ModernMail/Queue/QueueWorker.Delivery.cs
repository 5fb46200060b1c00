using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Mail;
using ModernMail.Delivery;
using ModernMail.Diagnostics;
using ModernMail.Queue.Internal;
using ModernMail.Routing.Internal;

namespace ModernMail.Queue;

public sealed partial class QueueWorker
{
    private async Task DeliverAsync(QueueLease lease, CancellationToken cancellationToken)
    {
        using var activity = StartDeliver(lease);
        // Every log line of this delivery (the transport's too: scopes flow with the call) names the message.
        using var scope = _logger.BeginScope(new[] { new KeyValuePair<string, object?>("MessageId", lease.Id) });
        var stream = await _queue.Store.OpenMessageAsync(lease.Id, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var sender = lease.Sender is null ? null : new MailAddress(lease.Sender);
            var outcomes = new List<RecipientOutcome>(lease.Recipients.Count);
            var failed = new List<FailedRecipient>();
            var details = new Dictionary<int, string>();
            var addresses = new List<MailAddress>(lease.Recipients.Count);
            foreach (var recipient in lease.Recipients)
            {
                addresses.Add(new MailAddress(recipient.Address));
            }
            // One transport call per message: the transport groups by destination and runs them in parallel over one
            // reader of the stream; the gates only cap deliveries per domain across messages.
            IReadOnlyList<DeliveryResult> results;
            using (await _gates.AcquireAsync(addresses.Select(a => GateKey(a.Host)), cancellationToken).ConfigureAwait(false))
            {
                stream.Position = 0;
                try
                {
                    results = await _transport.DeliverAsync(new Envelope(sender, addresses) { RequireTls = lease.RequireTls }, stream, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // The transport promises not to throw for delivery failures; if it does anyway, nobody got the message
                    // for sure, and whether it would work later is unknown: retry, the lifetime bounds it.
                    var synthetic = new List<DeliveryResult>(addresses.Count);
                    foreach (var address in addresses)
                    {
                        synthetic.Add(new DeliveryResult(address, delivered: false, isTransient: true) { Category = BounceCategory.Other, Exception = ex, Detail = ex.Message });
                    }
                    results = synthetic;
                }
            }
            var now = _time.GetUtcNow();
            for (int i = 0; i < lease.Recipients.Count; i++)
            {
                var recipient = lease.Recipients[i];
                // Results come in envelope order; a result for another address is never attributed to this one.
                var result = i < results.Count && string.Equals(results[i].Recipient.Address, recipient.Address, StringComparison.OrdinalIgnoreCase) ? results[i] : null;
                var outcome = WithAttemptDetails(Decide(lease, recipient, result, now, out string detail), result);
                var category = outcome.State switch
                {
                    RecipientState.Delivered => BounceCategory.None,
                    RecipientState.Expired => BounceCategory.Expired,
                    _ => result?.Category is { } c and not BounceCategory.None ? c : BounceCategory.Other,
                };
                outcome = outcome with { Category = category };
                outcomes.Add(outcome);
                details[recipient.Index] = detail;
                if (outcome.State is RecipientState.Bounced or RecipientState.Expired)
                {
                    failed.Add(new FailedRecipient(recipient.Address, outcome.State, result?.Reply, detail, result?.MxHost, category));
                }
            }

            QueuedBounce? bounce = null;
            if (failed.Count > 0 && lease.Sender is { } originalSender && _options.SendBounces)
            {
                // Never bounce a bounce: the null reverse path (lease.Sender null) gets no DSN (RFC 5321 §4.5.5).
                stream.Position = 0;
                byte[] head = await DsnWriter.ReadHeadAsync(stream, cancellationToken).ConfigureAwait(false);
                var bouncedAt = _time.GetUtcNow();
                string bounceId = _queue.NewId(bouncedAt);
                byte[] dsn = DsnWriter.Create(_options.HostName, originalSender, lease.CreatedAt, bouncedAt, failed, DsnWriter.HeaderBlock(head), bounceId);
                var envelope = new Envelope(null, [new MailAddress(originalSender)]);
                bounce = new QueuedBounce(new QueueEntry(bounceId, envelope, bouncedAt, bouncedAt + _options.MessageLifetime), dsn);
            }

            await CompleteAsync(lease, outcomes, bounce, cancellationToken).ConfigureAwait(false);
            RecordOutcomes(lease, outcomes, activity);
            if (bounce is not null)
            {
                QueueLog.BounceQueued(_logger, lease.Id, bounce.Entry.Id, lease.Sender ?? "", failed.Count);
                _queue.NotifyEnqueued();
            }
            foreach (var outcome in outcomes)
            {
                string address = AddressOf(lease, outcome.Index);
                QueueLog.RecipientUpdated(_logger, lease.Id, address, outcome.State, outcome.Attempts, outcome.LastReply);
                Raise(new QueueEventArgs(lease.Id, address, outcome.State, outcome.Attempts, outcome.NextAttemptAt, details[outcome.Index])
                {
                    BounceId = outcome.State is RecipientState.Bounced or RecipientState.Expired ? bounce?.Entry.Id : null,
                    Category = outcome.Category,
                });
            }
        }
    }

    /// <summary>The span of one delivery of a lease, a child of the submission's span when the message carries its traceparent.</summary>
    private static Activity? StartDeliver(QueueLease lease)
    {
        if (!MailTelemetry.Source.HasListeners())
        {
            return null;
        }
        ActivityContext.TryParse(lease.TraceParent, null, isRemote: true, out var parent);
        var activity = MailTelemetry.Source.StartActivity("deliver", ActivityKind.Internal, parent);
        activity?.SetTag("modernmail.message.id", lease.Id);
        activity?.SetTag("modernmail.recipients", lease.Recipients.Count);
        return activity;
    }

    /// <summary>Counts the committed outcomes (the store has them: a crash before the commit counts nothing twice) and the latency of deliveries.</summary>
    private void RecordOutcomes(QueueLease lease, List<RecipientOutcome> outcomes, Activity? activity)
    {
        if (activity is null && !MailTelemetry.Recipients.Enabled && !MailTelemetry.DeliveryLatency.Enabled)
        {
            return;
        }
        var now = _time.GetUtcNow();
        int failed = 0;
        for (int i = 0; i < outcomes.Count; i++)
        {
            var outcome = outcomes[i];
            string address = AddressOf(lease, outcome.Index);
            string? mx = outcome.MxHost;
            MailTelemetry.RecipientReached(outcome.State, mx, address, outcome.Category);
            if (outcome.State == RecipientState.Delivered)
            {
                MailTelemetry.Delivered(now - lease.CreatedAt, mx, address);
            }
            else if (outcome.State is RecipientState.Bounced or RecipientState.Expired)
            {
                failed++;
            }
        }
        if (failed > 0)
        {
            MailTelemetry.Fail(activity, $"{failed} of {outcomes.Count} recipients bounced or expired");
        }
    }

    /// <summary>Where and how the attempt went, for the recipient's attempt history.</summary>
    private static RecipientOutcome WithAttemptDetails(RecipientOutcome outcome, DeliveryResult? result) => result is null ? outcome : outcome with
    {
        MxHost = result.MxHost,
        Tls = result.UsedTls ? $"{result.TlsProtocol} {result.TlsCipher}".Trim() : null,
        TlsPolicy = result.AppliedTlsPolicy,
    };

    private async Task CompleteAsync(QueueLease lease, List<RecipientOutcome> outcomes, QueuedBounce? bounce, CancellationToken cancellationToken)
    {
        // The outcome must be recorded: a store outage is waited out (the lease is renewed meanwhile) rather than dropping the result.
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                using var commit = MailTelemetry.Source.StartActivity("store.commit");
                commit?.SetTag("modernmail.message.id", lease.Id);
                await _queue.Store.CompleteAsync(lease, outcomes, bounce, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (QueueStoreException ex) when (ex.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                QueueLog.StoreError(_logger, ex, delay);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.PollInterval.Ticks));
            }
        }
    }

    /// <summary>The ASCII (punycode) form of a domain, so "bücher.example" and "xn--bcher-kva.example" share a gate.</summary>
    private static string GateKey(string domain)
    {
        try
        {
            return RecipientGrouper.ToAsciiDomain(domain);
        }
        catch (ArgumentException)
        {
            return domain.ToLowerInvariant();
        }
    }

    private static string AddressOf(QueueLease lease, int index)
    {
        foreach (var recipient in lease.Recipients)
        {
            if (recipient.Index == index)
            {
                return recipient.Address;
            }
        }
        return "";
    }
}
