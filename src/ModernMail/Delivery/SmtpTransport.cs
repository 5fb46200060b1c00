using System.Net;
using System.Net.Mail;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModernMail.Delivery.Internal;
using ModernMail.Dns;
using ModernMail.Routing.Internal;
using ModernMail.Smtp;
using ModernMail.Smtp.Internal;
using ModernMail.Tls;
using ModernMail.Tls.Internal;

namespace ModernMail.Delivery;

/// <summary>Delivers raw messages to recipients' mail exchangers over ESMTP: MX routing, STARTTLS, pipelining and pooled connections.</summary>
public sealed class SmtpTransport : IMailTransport, IDisposable, IAsyncDisposable
{
    private readonly string _hostName;
    private readonly TlsPlanner _tls;
    private readonly SmtpTimeouts _timeouts;
    private readonly TimeProvider _time;
    private readonly int _maxParallelDomains;
    private readonly ILogger _logger;
    private readonly ILogger _transcript;
    private readonly MxRouter _router;
    private readonly SmtpSessionPool _pool;
    private int _disposed;

    /// <summary>Creates a transport that resolves MX records with the DNS servers of <paramref name="config"/>.</summary>
    /// <exception cref="ArgumentException">The host name or a route is invalid.</exception>
    public SmtpTransport(BrokerConfig config)
        : this(config, DnsClientLookup.FromConfiguration(ValidateNotNull(config), nameof(config)))
    {
    }

    internal SmtpTransport(BrokerConfig config, IDnsLookup dns)
        : this(config, dns, policyStore: null, reports: null)
    {
    }

    /// <summary>A transport that keeps MTA-STS policies in <paramref name="policyStore"/> and counts TLS sessions in <paramref name="reports"/> (which it then owns).</summary>
    internal SmtpTransport(BrokerConfig config, IDnsLookup dns, IMtaStsPolicyStore? policyStore, TlsReportRecorder? reports)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(dns);
        ValidateHostName(config.HostName);
        ArgumentOutOfRangeException.ThrowIfLessThan(config.MaxParallelDomains, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(config.MaxIdleConnectionsPerHost);
        ArgumentOutOfRangeException.ThrowIfLessThan(config.MaxMessagesPerConnection, 1);
        ArgumentNullException.ThrowIfNull(config.Timeouts);
        _hostName = config.HostName;
        _timeouts = config.Timeouts;
        _time = config.TimeProvider ?? TimeProvider.System;
        _maxParallelDomains = config.MaxParallelDomains;
        var factory = config.LoggerFactory ?? NullLoggerFactory.Instance;
        _logger = factory.CreateLogger("ModernMail.Delivery");
        _transcript = factory.CreateLogger("ModernMail.Smtp");
        _router = new MxRouter(dns, config.Routes, config.SmtpPort, config.Random ?? Random.Shared);
        _pool = new SmtpSessionPool(config.MaxIdleConnectionsPerHost, config.ConnectionIdleTimeout, config.MaxMessagesPerConnection, _time);
        _tls = new TlsPlanner(config, dns, policyStore, reports);
    }

    /// <summary>How many connections are idle in the pool (for diagnostics and tests).</summary>
    internal int IdleConnections => _pool.IdleCount;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">An address cannot be used in the envelope (control, format or line-separator characters, whitespace in or a trailing dot on the domain), or the stream is not seekable.</exception>
    /// <exception cref="ObjectDisposedException">The transport was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<IReadOnlyList<DeliveryResult>> DeliverAsync(Envelope envelope, Stream message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(message);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (envelope.Sender is not null)
        {
            RecipientGrouper.Validate(envelope.Sender, nameof(envelope));
        }
        foreach (var recipient in envelope.Recipients)
        {
            RecipientGrouper.Validate(recipient, nameof(envelope));
        }
        var results = new DeliveryResult[envelope.Recipients.Count];
        if (results.Length == 0)
        {
            return results;
        }
        string reversePath;
        try
        {
            reversePath = envelope.Sender is null ? "" : RecipientGrouper.ToWireAddress(envelope.Sender);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"Invalid sender domain \"{envelope.Sender?.Host}\": {ex.Message}", nameof(envelope), ex);
        }
        bool senderUtf8 = envelope.Sender is not null && RecipientGrouper.NeedsSmtpUtf8(envelope.Sender);
        using var source = await MessageSource.CreateAsync(message, cancellationToken).ConfigureAwait(false);
        var groups = RecipientGrouper.Group(envelope.Recipients);
        var options = new ParallelOptions { MaxDegreeOfParallelism = _maxParallelDomains, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(groups, options, async (group, ct) =>
        {
            var request = new DomainDelivery(group, reversePath, senderUtf8, envelope.RequireTls, source, results);
            await DeliverDomainAsync(request, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return results;
    }

    private sealed record DomainDelivery(DomainGroup Group, string ReversePath, bool SenderUtf8, bool RequireTls, MessageSource Message, DeliveryResult[] Results)
    {
        /// <summary>The policy the results of this domain name; set once the domain's TLS plan is known.</summary>
        public AppliedTlsPolicy Policy { get; set; }
    }

    /// <summary>A session ready for a transaction, or why this address could not be used.</summary>
    private readonly record struct Attempt(SmtpSession? Session, string? Failure, bool RequireTlsUnsupported = false);

    private async Task DeliverDomainAsync(DomainDelivery request, CancellationToken cancellationToken)
    {
        var group = request.Group;
        if (group.Error is not null)
        {
            FailAll(request, SmtpStage.None, FailureStatus.BadDestinationSystem, group.Error, null, null);
            return;
        }
        DeliveryLog.Routing(_logger, group.Domain);
        var route = await _router.RouteAsync(group.Domain, cancellationToken).ConfigureAwait(false);
        if (route.Status != RouteStatus.Ok)
        {
            FailAll(request, SmtpStage.Dns, route.Status == RouteStatus.Transient ? FailureStatus.DnsFailure : FailureStatus.BadDestinationSystem, route.Error ?? $"no route to {group.Domain}", null, null);
            return;
        }
        var plan = await _tls.PlanAsync(group.Domain, route.Static, request.RequireTls, cancellationToken).ConfigureAwait(false);
        request.Policy = plan.Floor.Policy;
        var failures = new List<string>();
        int requireTlsFailures = 0;
        bool anyAddress = false;
        bool definitiveNoAddress = true;
        foreach (var host in route.Hosts)
        {
            if (plan.StsPolicy is { } sts && !sts.MatchesMx(host.Name))
            {
                _tls.Record(plan.Outcome(plan.Floor, TlsResultType.ValidationFailure, host.Name, null, "mx-mismatch"));
                if (plan.Excludes(host.Name))
                {
                    failures.Add($"{host.Name} is not an MX host of the MTA-STS policy of {group.Domain} (mode enforce)");
                    continue;
                }
            }
            var hostPlan = await _tls.PlanHostAsync(plan, host.Name, host.Port, cancellationToken).ConfigureAwait(false);
            if (hostPlan.Refusal is { } refusal)
            {
                failures.Add(refusal);
                continue;
            }
            if (plan.RequireTls && !route.Static && !plan.StsCovers(host.Name) && hostPlan.Policy != AppliedTlsPolicy.Dane)
            {
                failures.Add($"REQUIRETLS: {host.Name} is not authenticated as an MX of {group.Domain} (no MTA-STS policy names it, no DANE)");
                requireTlsFailures++;
                continue;
            }
            IReadOnlyList<IPAddress> addresses;
            if (host.Literal is not null)
            {
                addresses = [host.Literal];
            }
            else
            {
                var lookup = await _router.LookupAddressesAsync(host.Name, cancellationToken).ConfigureAwait(false);
                if (lookup.Outcome != DnsOutcome.Found)
                {
                    definitiveNoAddress &= lookup.Outcome is DnsOutcome.NoRecords or DnsOutcome.NoSuchDomain;
                    failures.Add(lookup.Error ?? $"{host.Name}: no address");
                    continue;
                }
                addresses = lookup.Addresses;
            }
            anyAddress = true;
            foreach (var address in addresses)
            {
                var endPoint = new IPEndPoint(address, host.Port);
                var attempt = await TryDeliverViaAsync(request, plan, hostPlan, host.Name, endPoint, cancellationToken).ConfigureAwait(false);
                if (attempt.Failure is null)
                {
                    return;
                }
                DeliveryLog.AttemptFailed(_logger, group.Domain, $"{host.Name} [{endPoint}]", attempt.Failure);
                failures.Add(attempt.Failure);
                if (attempt.RequireTlsUnsupported)
                {
                    requireTlsFailures++;
                }
            }
        }
        if (requireTlsFailures > 0 && requireTlsFailures == failures.Count)
        {
            // RFC 8689 §4.2.1: no MX meets the REQUIRETLS conditions; §5 names the status code.
            FailAll(request, SmtpStage.Tls, FailureStatus.RequireTls, "5.7.30 REQUIRETLS support required: " + string.Join("; ", failures), null, null);
            return;
        }
        if (!anyAddress && route.Implicit && definitiveNoAddress)
        {
            FailAll(request, SmtpStage.Dns, FailureStatus.BadDestinationSystem, $"{group.Domain} has no MX and no address records", null, null);
            return;
        }
        FailAll(request, SmtpStage.Connect, FailureStatus.NoAnswer, "no mail exchanger could be used: " + string.Join("; ", failures), null, null);
    }

    /// <summary>Delivers the group via one address; a null failure when the recipients' fate is decided, else why this address could not be used.</summary>
    private async Task<Attempt> TryDeliverViaAsync(DomainDelivery request, DomainTlsPlan plan, HostTlsPlan hostPlan, string host, IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        string key = SmtpSessionPool.KeyOf(host, endPoint) + "|" + hostPlan.PoolKey;
        var attempt = await AcquireAsync(key, plan, hostPlan, host, endPoint, cancellationToken).ConfigureAwait(false);
        if (attempt.Session is not { } session)
        {
            return attempt;
        }
        if (request.RequireTls && !session.Capabilities.RequireTls)
        {
            await _pool.ReturnAsync(key, session, cancellationToken).ConfigureAwait(false);
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
        }
        return default;
    }

    /// <summary>A pooled session reset with RSET, or a new one after greeting, EHLO and STARTTLS under the TLS policy.</summary>
    private async Task<Attempt> AcquireAsync(string key, DomainTlsPlan plan, HostTlsPlan hostPlan, string host, IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        while (_pool.TryRent(key, out var pooled) && pooled is not null)
        {
            try
            {
                await pooled.ResetAsync(cancellationToken).ConfigureAwait(false);
                if (!pooled.HasUnreadInput())
                {
                    return new Attempt(pooled, null);
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
        try
        {
            return await OpenAsync(plan, hostPlan, host, endPoint, useTls: hostPlan.Requirement != TlsRequirement.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SmtpTlsException ex) when (hostPlan.Requirement == TlsRequirement.Opportunistic)
        {
            DeliveryLog.TlsFallback(_logger, $"{host} [{endPoint}]", ex.Message);
            _tls.Record(plan.Outcome(hostPlan, TlsResultType.ValidationFailure, host, endPoint.Address, "starttls-handshake-failed"));
            try
            {
                var attempt = await OpenAsync(plan, hostPlan, host, endPoint, useTls: false, cancellationToken, record: false).ConfigureAwait(false);
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
        catch (SmtpTlsException ex)
        {
            _tls.Record(plan.Outcome(hostPlan, TlsResultType.ValidationFailure, host, endPoint.Address, "starttls-handshake-failed"));
            return new Attempt(null, $"TLS is required ({hostPlan.Because}): {ex.Message}");
        }
        catch (ModernMailException ex)
        {
            return new Attempt(null, ex.Message);
        }
    }

    private async Task<Attempt> OpenAsync(DomainTlsPlan plan, HostTlsPlan hostPlan, string host, IPEndPoint endPoint, bool useTls, CancellationToken cancellationToken, bool record = true)
    {
        var session = await SmtpSession.ConnectAsync(host, endPoint, _timeouts, _time, _transcript, cancellationToken).ConfigureAwait(false);
        try
        {
            await session.HelloAsync(_hostName, cancellationToken).ConfigureAwait(false);
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
                    await session.HelloAsync(_hostName, cancellationToken).ConfigureAwait(false);
                    RecordSession(plan, hostPlan, session, record);
                    return new Attempt(session, null);
                }
                catch (SmtpReplyException ex)
                {
                    throw new SmtpTlsException(ex.Message, ex);
                }
                await session.HelloAsync(_hostName, cancellationToken).ConfigureAwait(false);
            }
            RecordSession(plan, hostPlan, session, record);
            if (hostPlan.Requirement >= TlsRequirement.Encrypted && !session.IsTls)
            {
                await session.QuitAsync(cancellationToken).ConfigureAwait(false);
                return new Attempt(null, $"TLS is required ({hostPlan.Because}) but {session.Peer} does not offer STARTTLS");
            }
            if (hostPlan.Requirement == TlsRequirement.Authenticated && !session.Certificate.Valid)
            {
                await session.QuitAsync(cancellationToken).ConfigureAwait(false);
                return new Attempt(null, $"TLS is required ({hostPlan.Because}) but {session.Peer} is not authenticated: {session.Certificate.Reason}");
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
        if (!record)
        {
            return;
        }
        var verdict = session.IsTls ? session.Certificate : CertificateVerdict.NotChecked;
        // Without a policy, an unauthenticated certificate is not a failure: nothing asked for one.
        bool failed = session.IsTls ? !verdict.Valid && (plan.StsPolicy is not null || hostPlan.Requirement == TlsRequirement.Authenticated) : true;
        _tls.Record(plan.Outcome(hostPlan, failed ? verdict.ResultType : null, session.MxHost, session.EndPoint.Address, failed ? verdict.Reason : null));
    }

    private async Task RunTransactionAsync(DomainDelivery request, SmtpSession session, CancellationToken cancellationToken)
    {
        var group = request.Group;
        var caps = session.Capabilities;
        if ((request.SenderUtf8 || request.Message.HeadersHave8Bit) && !caps.SmtpUtf8)
        {
            string what = request.SenderUtf8 ? "the sender address" : "the message's UTF-8 header fields";
            FailAll(request, SmtpStage.Ehlo, request.SenderUtf8 ? FailureStatus.NonAsciiAddress : FailureStatus.Utf8Header, $"{what} need SMTPUTF8 (RFC 6531), which {session.Peer} does not support", session, null);
            return;
        }
        if (caps.MaxSize > 0 && request.Message.Length > caps.MaxSize)
        {
            FailAll(request, SmtpStage.Ehlo, FailureStatus.MessageTooBig, $"the message ({request.Message.Length} bytes) exceeds the size limit of {session.Peer} ({caps.MaxSize} bytes)", session, null);
            return;
        }
        var wire = new List<string>(group.Recipients.Count);
        var positions = new List<int>(group.Recipients.Count);
        bool utf8 = request.SenderUtf8 || request.Message.HeadersHave8Bit;
        for (int i = 0; i < group.Recipients.Count; i++)
        {
            var recipient = group.Recipients[i];
            if (RecipientGrouper.NeedsSmtpUtf8(recipient))
            {
                if (!caps.SmtpUtf8)
                {
                    Record(request, group.Indexes[i], Failure(request, recipient, SmtpStage.Ehlo, FailureStatus.NonAsciiAddress, session, null,
                        $"the address needs SMTPUTF8, which {session.Peer} does not support"));
                    continue;
                }
                utf8 = true;
            }
            wire.Add(RecipientGrouper.ToWireAddress(recipient));
            positions.Add(i);
        }
        if (wire.Count == 0)
        {
            return;
        }
        var transaction = new MailTransaction(request.ReversePath, wire, request.Message) { SmtpUtf8 = utf8, RequireTls = request.RequireTls };
        Exception? error = null;
        try
        {
            await session.SendAsync(transaction, cancellationToken).ConfigureAwait(false);
        }
        catch (ModernMailException ex)
        {
            session.MarkBroken();
            error = ex;
        }
        catch (OperationCanceledException)
        {
            session.MarkBroken();
            throw;
        }
        for (int k = 0; k < positions.Count; k++)
        {
            int i = positions[k];
            Record(request, group.Indexes[i], Decide(request, group.Recipients[i], transaction, k, session, error));
        }
    }

    private static DeliveryResult Decide(DomainDelivery request, MailAddress recipient, MailTransaction transaction, int k, SmtpSession session, Exception? error)
    {
        var rcpt = transaction.RcptReplies[k];
        if (transaction.MailReply is { IsPositive: false } mail)
        {
            return Replied(request, recipient, SmtpStage.MailFrom, mail, session, "MAIL FROM rejected: ");
        }
        if (rcpt is { IsPositive: false })
        {
            return Replied(request, recipient, SmtpStage.RcptTo, rcpt, session, "RCPT TO rejected: ");
        }
        if (rcpt is { IsPositive: true })
        {
            if (transaction.FinalReply is { } final)
            {
                return Replied(request, recipient, SmtpStage.FinalDot, final, session, "message rejected after DATA: ");
            }
            if (transaction.DataReply is { Code: not 354 } data)
            {
                return Replied(request, recipient, SmtpStage.Data, data, session, "DATA rejected: ");
            }
        }
        // No reply decided: the session broke (or went out of step) during the first command still unanswered.
        var stage = transaction.MailReply is null ? SmtpStage.MailFrom
            : rcpt is null ? SmtpStage.RcptTo
            : transaction.DataReply is null ? SmtpStage.Data
            : SmtpStage.FinalDot;
        return Failure(request, recipient, stage, FailureStatus.BadConnection, session, error, error?.Message ?? "the transaction was interrupted");
    }

    /// <summary>The result a server reply decided, classified by the one classifier.</summary>
    private static DeliveryResult Replied(DomainDelivery request, MailAddress recipient, SmtpStage stage, SmtpReply reply, SmtpSession session, string rejected)
    {
        var decision = DeliveryClassifier.Classify(stage, reply);
        string detail = decision.Outcome == DeliveryOutcome.Delivered ? reply.ToString() : rejected + reply;
        return Result(request, recipient, stage, decision, session, reply, null, detail);
    }

    /// <summary>The result of a failure no reply decided, classified by the status it stands for.</summary>
    private static DeliveryResult Failure(DomainDelivery request, MailAddress recipient, SmtpStage stage, EnhancedStatusCode status, SmtpSession? session, Exception? error, string detail)
        => Result(request, recipient, stage, DeliveryClassifier.Classify(stage, status, detail), session, null, error, detail);

    private static DeliveryResult Result(DomainDelivery request, MailAddress recipient, SmtpStage stage, DeliveryClassification decision, SmtpSession? session, SmtpReply? reply, Exception? error, string detail)
    {
        if (session?.TlsFallbackReason is { } fallback)
        {
            detail = $"{detail} (sent without TLS: {fallback})";
        }
        return new DeliveryResult(recipient, decision.Outcome == DeliveryOutcome.Delivered, decision.Outcome == DeliveryOutcome.Transient)
        {
            Stage = stage,
            Category = decision.Category,
            MxHost = session?.MxHost,
            UsedTls = session?.IsTls ?? false,
            TlsProtocol = session is { IsTls: true } ? session.TlsProtocol.ToString() : null,
            TlsCipher = session?.TlsCipher,
            CertificateValid = session is { IsTls: true, CertificateValid: true },
            AppliedTlsPolicy = request.Policy,
            Reply = reply,
            Exception = error,
            Detail = detail,
        };
    }

    private void FailAll(DomainDelivery request, SmtpStage stage, EnhancedStatusCode status, string reason, SmtpSession? session, Exception? error)
    {
        var group = request.Group;
        for (int i = 0; i < group.Recipients.Count; i++)
        {
            Record(request, group.Indexes[i], Failure(request, group.Recipients[i], stage, status, session, error, reason));
        }
    }

    private void Record(DomainDelivery request, int index, DeliveryResult result)
    {
        request.Results[index] = result;
        if (result.Delivered)
        {
            DeliveryLog.Delivered(_logger, result.Recipient.Address, result.MxHost, result.UsedTls, result.Detail);
        }
        else
        {
            DeliveryLog.NotDelivered(_logger, result.Recipient.Address, result.IsTransient ? "transient" : "permanent", result.MxHost, result.Detail);
        }
    }

    private static BrokerConfig ValidateNotNull(BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config;
    }

    internal static void ValidateHostName(string? hostName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hostName, nameof(BrokerConfig.HostName));
        if (hostName.AsSpan().IndexOfAny("\r\n\0 \t") >= 0)
        {
            throw new ArgumentException($"The host name \"{hostName.ReplaceLineEndings(" ").Replace('\0', ' ')}\" contains CR, LF, NUL or white space.", nameof(BrokerConfig.HostName));
        }
    }

    /// <summary>Closes pooled connections (QUIT).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _pool.DisposeAsync().ConfigureAwait(false);
        await _tls.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Closes pooled connections (QUIT, waiting at most a few seconds).</summary>
    public void Dispose() => Task.Run(async () => await DisposeAsync().ConfigureAwait(false)).GetAwaiter().GetResult();
}
