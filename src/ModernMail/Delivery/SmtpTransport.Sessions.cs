using System.Diagnostics;
using System.Net;
using ModernMail.Delivery.Internal;
using ModernMail.Delivery.Internal.Shaping;
using ModernMail.Diagnostics;
using ModernMail.Smtp;
using ModernMail.Smtp.Internal;
using ModernMail.Tls;
using ModernMail.Tls.Internal;

namespace ModernMail.Delivery;

public sealed partial class SmtpTransport
{
    /// <summary>Delivers the group via one address; a null failure when the recipients' fate is decided, else why this address could not be used.</summary>
    /// <remarks>One "attempt" span and one <c>modernmail.delivery.attempt.duration</c> measurement per address tried.</remarks>
    private async Task<Attempt> TryDeliverViaAsync(DomainDelivery request, DomainTlsPlan plan, HostTlsPlan hostPlan, string host, IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        bool timed = MailTelemetry.AttemptDuration.Enabled;
        if (!timed && !MailTelemetry.Source.HasListeners())
        {
            return await TryDeliverViaCoreAsync(request, plan, hostPlan, host, endPoint, cancellationToken).ConfigureAwait(false);
        }
        long start = Stopwatch.GetTimestamp();
        using var activity = MailTelemetry.Source.StartActivity("attempt", ActivityKind.Client);
        if (activity is not null)
        {
            activity.SetTag("server.address", host);
            activity.SetTag("server.port", endPoint.Port);
            activity.SetTag("network.peer.address", endPoint.Address.ToString());
            activity.SetTag("modernmail.recipients", request.Group.Recipients.Count);
        }
        string outcome = "failed";
        try
        {
            var attempt = await TryDeliverViaCoreAsync(request, plan, hostPlan, host, endPoint, cancellationToken).ConfigureAwait(false);
            if (attempt.Failure is not null)
            {
                MailTelemetry.Fail(activity, attempt.Failure);
                return attempt;
            }
            int delivered = 0;
            foreach (int index in request.Group.Indexes)
            {
                delivered += request.Results[index] is { Delivered: true } ? 1 : 0;
            }
            activity?.SetTag("modernmail.recipients.delivered", delivered);
            outcome = delivered > 0 ? "delivered" : "rejected";
            if (delivered == 0)
            {
                MailTelemetry.Fail(activity, "no recipient was accepted");
            }
            return attempt;
        }
        catch (Exception ex)
        {
            MailTelemetry.Fail(activity, ex.GetType().Name);
            throw;
        }
        finally
        {
            if (timed)
            {
                var tags = new TagList { { "outcome", outcome }, { "provider", ProviderRollup.Of(host, request.Group.Domain) } };
                MailTelemetry.AttemptDuration.Record(MailTelemetry.SecondsSince(start), tags);
            }
        }
    }

    private async Task<Attempt> TryDeliverViaCoreAsync(DomainDelivery request, DomainTlsPlan plan, HostTlsPlan hostPlan, string host, IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        // The destination leads the key, so its idle connections can be found (and closed) together.
        string key = (request.Destination is { } shaped ? shaped.Name + "|" : "") + (request.Source is { } from ? from.Address + ">" : "")
            + SmtpSessionPool.KeyOf(host, endPoint) + "|" + hostPlan.PoolKey;
        var attempt = await AcquireAsync(key, request.Destination, request.Source, plan, hostPlan, host, endPoint, cancellationToken).ConfigureAwait(false);
        if (attempt.Session is not { } session)
        {
            return attempt;
        }
        if (request.RequireTls && !session.Capabilities.RequireTls)
        {
            await _pool.ReturnAsync(key, session, cancellationToken).ConfigureAwait(false);
            request.Destination?.Signal();
            return new Attempt(null, $"REQUIRETLS: {session.Peer} does not advertise REQUIRETLS", RequireTlsUnsupported: true);
        }
        request.Policy = hostPlan.Policy;
        try
        {
            await RunTransactionAsync(request, session, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await _pool.ReturnAsync(key, session, cancellationToken).ConfigureAwait(false);
            // A delivery waiting for one of the destination's connections may take this one (or its slot).
            request.Destination?.Signal();
        }
        return default;
    }

    /// <summary>A pooled session reset with RSET, or a new one after greeting, EHLO and STARTTLS under the TLS policy.</summary>
    private async Task<Attempt> AcquireAsync(string key, Destination? destination, Source? source, DomainTlsPlan plan, HostTlsPlan hostPlan, string host,
        IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await RentPooledAsync(key, cancellationToken).ConfigureAwait(false) is { } pooled)
            {
                return new Attempt(pooled, null);
            }
            if (destination is null)
            {
                return await OpenNewAsync(source, plan, hostPlan, host, endPoint, cancellationToken).ConfigureAwait(false);
            }
            var slot = await WaitForSlotAsync(key, destination, cancellationToken).ConfigureAwait(false);
            if (slot.Pooled)
            {
                continue; // A session came back to the pool for this very host: use it.
            }
            if (!slot.Acquired)
            {
                return new Attempt(null, slot.Reason, HeldUntil: slot.Held);
            }
            Attempt attempt;
            try
            {
                attempt = await OpenNewAsync(source, plan, hostPlan, host, endPoint, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                ReleaseSlot(destination, slot.Cluster);
                throw;
            }
            if (attempt.Session is { } opened)
            {
                // The slot is the connection's until it closes, in use or idle in the pool.
                var gate = slot.Cluster ? ClusterLimits : null;
                opened.Closed = gate is null ? destination.Release : () =>
                {
                    destination.Release();
                    gate.Release(destination.Name);
                };
                opened.MaxMessages = destination.Rule.MaxMessagesPerConnection;
            }
            else
            {
                ReleaseSlot(destination, slot.Cluster);
            }
            return attempt;
        }
    }

    private void ReleaseSlot(Destination destination, bool cluster)
    {
        destination.Release();
        if (cluster)
        {
            ClusterLimits?.Release(destination.Name);
        }
    }

    /// <summary>A pooled session for <paramref name="key"/> reset with RSET; null when there is none left that answers.</summary>
    private async Task<SmtpSession?> RentPooledAsync(string key, CancellationToken cancellationToken)
    {
        while (_pool.TryRent(key, out var pooled) && pooled is not null)
        {
            try
            {
                await pooled.ResetAsync(cancellationToken).ConfigureAwait(false);
                if (!pooled.HasUnreadInput())
                {
                    return pooled;
                }
                // More than one reply to RSET: the next command would read the extra one. Use another connection.
                pooled.MarkBroken();
                await pooled.DisposeAsync().ConfigureAwait(false);
            }
            catch (ModernMailException)
            {
                // The server dropped the idle connection; try the next one or a new connection.
                await pooled.DisposeAsync().ConfigureAwait(false);
            }
        }
        return null;
    }

    /// <summary>A new session after greeting, EHLO and STARTTLS under the TLS policy (falling back to clear text when it allows).</summary>
    private async Task<Attempt> OpenNewAsync(Source? source, DomainTlsPlan plan, HostTlsPlan hostPlan, string host, IPEndPoint endPoint,
        CancellationToken cancellationToken)
    {
        try
        {
            return await OpenAsync(source, plan, hostPlan, host, endPoint, useTls: hostPlan.Requirement != TlsRequirement.None, cancellationToken).ConfigureAwait(false);
        }
        catch (ModernMailException ex) when (IsTlsHandshakeFailure(ex) && hostPlan.Requirement == TlsRequirement.Opportunistic)
        {
            DeliveryLog.TlsFallback(_logger, $"{host} [{endPoint}]", ex.Message);
            _tls.Record(plan.Outcome(hostPlan, TlsResultType.ValidationFailure, host, endPoint.Address, "starttls-handshake-failed"));
            try
            {
                var attempt = await OpenAsync(source, plan, hostPlan, host, endPoint, useTls: false, cancellationToken, record: false).ConfigureAwait(false);
                if (attempt.Session is { } clear)
                {
                    clear.TlsFallbackReason = ex.Message;
                }
                return attempt;
            }
            catch (ModernMailException retry)
            {
                return new Attempt(null, retry.Message);
            }
        }
        catch (ModernMailException ex) when (IsTlsHandshakeFailure(ex))
        {
            _tls.Record(plan.Outcome(hostPlan, TlsResultType.ValidationFailure, host, endPoint.Address, "starttls-handshake-failed"));
            return new Attempt(null, $"TLS is required ({hostPlan.Because}): {ex.Message}", TlsRefused: true);
        }
        catch (ModernMailException ex)
        {
            return new Attempt(null, ex.Message);
        }
    }

    /// <summary>A failed or stalled handshake: opportunistic TLS falls back to clear text, required TLS refuses the host.</summary>
    private static bool IsTlsHandshakeFailure(ModernMailException ex)
        => ex is SmtpTlsException or SmtpTimeoutException { Command: SmtpSession.TlsHandshakeStage };

    private async Task<Attempt> OpenAsync(Source? source, DomainTlsPlan plan, HostTlsPlan hostPlan, string host, IPEndPoint endPoint, bool useTls,
        CancellationToken cancellationToken, bool record = true)
    {
        string helo = source?.HeloName ?? _hostName;
        var session = await SmtpSession.ConnectAsync(host, endPoint, _timeouts, _time, _transcript, cancellationToken, source?.Address).ConfigureAwait(false);
        try
        {
            await session.HelloAsync(helo, cancellationToken).ConfigureAwait(false);
            if (useTls && session.Capabilities.StartTls)
            {
                try
                {
                    await session.StartTlsAsync(hostPlan.Check, cancellationToken).ConfigureAwait(false);
                }
                catch (SmtpReplyException ex) when (hostPlan.Requirement == TlsRequirement.Opportunistic && !ex.Reply.IsTransient)
                {
                    // A refused STARTTLS leaves the clear-text session usable.
                    session.TlsFallbackReason = ex.Message;
                    await session.HelloAsync(helo, cancellationToken).ConfigureAwait(false);
                    RecordSession(plan, hostPlan, session, record);
                    return new Attempt(session, null);
                }
                catch (SmtpReplyException ex)
                {
                    throw new SmtpTlsException(ex.Message, ex);
                }
                await session.HelloAsync(helo, cancellationToken).ConfigureAwait(false);
            }
            RecordSession(plan, hostPlan, session, record);
            if (hostPlan.Requirement >= TlsRequirement.Encrypted && !session.IsTls)
            {
                await session.QuitAsync(cancellationToken).ConfigureAwait(false);
                return new Attempt(null, $"TLS is required ({hostPlan.Because}) but {session.Peer} does not offer STARTTLS", TlsRefused: true);
            }
            if (hostPlan.Requirement == TlsRequirement.Authenticated && !session.Certificate.Valid)
            {
                await session.QuitAsync(cancellationToken).ConfigureAwait(false);
                return new Attempt(null, $"TLS is required ({hostPlan.Because}) but {session.Peer} is not authenticated: {session.Certificate.Reason}", TlsRefused: true);
            }
            return new Attempt(session, null);
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Counts a new session for TLS reporting: a success, or why it fell short of authenticated TLS.</summary>
    private void RecordSession(DomainTlsPlan plan, HostTlsPlan hostPlan, SmtpSession session, bool record)
    {
        Diagnostics.MailTelemetry.SessionOpened(session.IsTls ? session.TlsProtocol.ToString() : null, session.MxHost, plan.Domain);
        if (!record)
        {
            return;
        }
        var verdict = session.IsTls ? session.Certificate : CertificateVerdict.NotChecked;
        // Without a policy, an unauthenticated certificate is not a failure: nothing asked for one.
        bool failed = !session.IsTls || (!verdict.Valid && (plan.StsPolicy is not null || hostPlan.Requirement == TlsRequirement.Authenticated));
        _tls.Record(plan.Outcome(hostPlan, failed ? verdict.ResultType : null, session.MxHost, session.EndPoint.Address, failed ? verdict.Reason : null));
    }
}
