using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using ModernMail.Diagnostics;
using ModernMail.Dkim.Internal;

namespace ModernMail.Dkim;

/// <summary>
/// Signs raw RFC 5322 messages with DKIM (RFC 6376; rsa-sha256 and RFC 8463 ed25519-sha256). The body is
/// hashed in one streaming pass in flat memory; the header block is capped (1 MiB by default).
/// </summary>
/// <remarks>
/// The input is the message as it will be sent: CRLF line endings, not dot-stuffed. The result is a
/// DKIM-Signature field to prepend; it covers From (over-signed, so a From added later breaks the
/// signature), To, Cc, Subject, Date, Message-ID, Reply-To, MIME-Version, Content-Type,
/// Content-Transfer-Encoding, In-Reply-To, References, List-Unsubscribe and List-Unsubscribe-Post when
/// present. It always carries t=, carries x= when an expiration is configured, and never l=.
/// A signer is thread-safe and can sign many messages.
/// </remarks>
public sealed class DkimSigner : IDisposable
{
    private const int ReadBufferSize = 64 * 1024;

    private static readonly string[] s_defaultHeaders =
    [
        "to", "cc", "subject", "date", "message-id", "reply-to", "mime-version", "content-type",
        "content-transfer-encoding", "in-reply-to", "references", "list-unsubscribe", "list-unsubscribe-post",
    ];

    private readonly DkimSigningKey _key;
    private readonly DkimSignerOptions _options;
    private readonly string _domain;
    private readonly string _selector;
    private readonly string[] _headers;
    private readonly DkimCanonicalization _headerCanonicalization;
    private readonly DkimCanonicalization _bodyCanonicalization;
    private readonly TimeSpan? _expiration;

    /// <summary>Creates a signer for one signing identity.</summary>
    /// <param name="config">The domain, selector, key and signing choices.</param>
    /// <param name="options">Clock, logger and limits; null for the defaults.</param>
    /// <exception cref="DkimException">The domain or selector is not a valid DNS name, or the expiration is not positive.</exception>
    /// <exception cref="DkimKeyException">The key is missing, invalid, or RSA under 1024 bits.</exception>
    public DkimSigner(DkimConfig config, DkimSignerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _options = options ?? new DkimSignerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxHeaderBytes, 1024, nameof(options));
        _domain = DkimNames.Validate(config.Domain, "domain");
        _selector = DkimNames.Validate(config.Selector, "selector");
        if (config.Expiration is { } expiration && expiration < TimeSpan.FromSeconds(1))
        {
            throw new DkimException($"The DKIM expiration must be at least one second; got {expiration}.");
        }

        _expiration = config.Expiration;
        _headerCanonicalization = config.HeaderCanonicalization;
        _bodyCanonicalization = config.BodyCanonicalization;
        _headers = HeaderNames(config.SignedHeaders);
        _key = DkimSigningKey.Create(config);
    }

    /// <summary>The signing domain (d=).</summary>
    public string Domain => _domain;

    /// <summary>The selector (s=).</summary>
    public string Selector => _selector;

    /// <summary>The kind of key this signer uses.</summary>
    public DkimKeyType KeyType => _key.KeyType;

    /// <summary>Reads the message from <paramref name="message"/> and returns the folded "DKIM-Signature: ...\r\n" field to prepend.</summary>
    /// <exception cref="DkimException">The header block is larger than the configured limit.</exception>
    public async Task<string> CreateSignatureAsync(Stream message, CancellationToken cancellationToken = default)
    {
        DkimSignResult result = await SignAsync(message, cancellationToken).ConfigureAwait(false);
        return result.Header;
    }

    /// <summary>Reads the message from <paramref name="message"/> and returns the signature field and any warnings.</summary>
    /// <exception cref="DkimException">The header block is larger than the configured limit.</exception>
    public async Task<DkimSignResult> SignAsync(Stream message, CancellationToken cancellationToken = default)
    {
        DkimSignResult[] results = await SignAllAsync([this], message, cancellationToken).ConfigureAwait(false);
        return results[0];
    }

    /// <summary>Signs a message held in memory and returns the signature field and any warnings.</summary>
    /// <exception cref="DkimException">The header block is larger than the configured limit.</exception>
    public DkimSignResult CreateSignature(ReadOnlySpan<byte> message)
    {
        if (!MailTelemetry.DkimSignDuration.Enabled && !MailTelemetry.Source.HasListeners())
        {
            return CreateSignatureCore(message);
        }
        long start = Stopwatch.GetTimestamp();
        using var activity = StartSign([this]);
        try
        {
            return CreateSignatureCore(message);
        }
        catch (DkimException ex)
        {
            MailTelemetry.Fail(activity, ex.Message);
            throw;
        }
        finally
        {
            RecordSign(start);
        }
    }

    private DkimSignResult CreateSignatureCore(ReadOnlySpan<byte> message)
    {
        using HeaderBlock block = HeaderBlock.Read(message, _options.MaxHeaderBytes, out int bodyOffset);
        using var hasher = new DkimBodyHasher(_bodyCanonicalization);
        hasher.Append(message[bodyOffset..]);
        return Finish(block, hasher.Complete());
    }

    /// <summary>Signs a message held in memory and returns the signed message: the DKIM-Signature field followed by the original bytes.</summary>
    /// <exception cref="DkimException">The header block is larger than the configured limit.</exception>
    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        string header = CreateSignature(message).Header;
        byte[] signed = new byte[header.Length + message.Length];
        int n = Encoding.ASCII.GetBytes(header, signed);
        message.CopyTo(signed.AsSpan(n));
        return signed;
    }

    /// <summary>
    /// Signs one message with several signers in a single pass over <paramref name="message"/> (for example
    /// an Ed25519 and an RSA signature); returns one result per signer, in order. Prepend all of them.
    /// </summary>
    /// <exception cref="DkimException">The header block is larger than a signer's limit.</exception>
    public static async Task<DkimSignResult[]> SignAllAsync(IReadOnlyList<DkimSigner> signers, Stream message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signers);
        ArgumentNullException.ThrowIfNull(message);
        if (signers.Count == 0)
        {
            return [];
        }
        if (!MailTelemetry.DkimSignDuration.Enabled && !MailTelemetry.Source.HasListeners())
        {
            return await SignAllCoreAsync(signers, message, cancellationToken).ConfigureAwait(false);
        }
        long start = Stopwatch.GetTimestamp();
        using var activity = StartSign(signers);
        try
        {
            return await SignAllCoreAsync(signers, message, cancellationToken).ConfigureAwait(false);
        }
        catch (DkimException ex)
        {
            MailTelemetry.Fail(activity, ex.Message);
            throw;
        }
        finally
        {
            RecordSign(start);
        }
    }

    /// <summary>The "sign" span: the signing domain and selector of each signer (public DNS names, no secrets).</summary>
    private static Activity? StartSign(IReadOnlyList<DkimSigner> signers)
    {
        var activity = MailTelemetry.Source.StartActivity("sign", ActivityKind.Internal);
        if (activity is not null)
        {
            activity.SetTag("modernmail.dkim.domain", signers[0]._domain);
            activity.SetTag("modernmail.dkim.selector", signers[0]._selector);
            activity.SetTag("modernmail.dkim.signatures", signers.Count);
        }
        return activity;
    }

    private static void RecordSign(long start)
    {
        if (MailTelemetry.DkimSignDuration.Enabled)
        {
            MailTelemetry.DkimSignDuration.Record(MailTelemetry.SecondsSince(start));
        }
    }

    private static async Task<DkimSignResult[]> SignAllCoreAsync(IReadOnlyList<DkimSigner> signers, Stream message, CancellationToken cancellationToken)
    {
        int maxHeaderBytes = int.MaxValue;
        foreach (DkimSigner signer in signers)
        {
            maxHeaderBytes = Math.Min(maxHeaderBytes, signer._options.MaxHeaderBytes);
        }

        using HeaderBlock block = await HeaderBlock.ReadAsync(message, maxHeaderBytes, cancellationToken).ConfigureAwait(false);
        var hashers = new DkimBodyHasher[signers.Count];
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        try
        {
            for (int i = 0; i < hashers.Length; i++)
            {
                hashers[i] = new DkimBodyHasher(signers[i]._bodyCanonicalization);
                hashers[i].Append(block.BodyStart);
            }

            int read;
            while ((read = await message.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
            {
                foreach (DkimBodyHasher hasher in hashers)
                {
                    hasher.Append(buffer.AsSpan(0, read));
                }
            }

            var results = new DkimSignResult[signers.Count];
            for (int i = 0; i < results.Length; i++)
            {
                results[i] = signers[i].Finish(block, hashers[i].Complete());
            }

            return results;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            foreach (DkimBodyHasher? hasher in hashers)
            {
                hasher?.Dispose();
            }
        }
    }

    /// <summary>
    /// Creates the signers a broker configuration asks for: <see cref="BrokerConfig.DkimConfig"/> first, then
    /// each of <see cref="BrokerConfig.DkimSignatures"/>, with the broker's clock and logger.
    /// </summary>
    /// <exception cref="DkimException">A domain or selector is invalid.</exception>
    /// <exception cref="DkimKeyException">A key is missing, invalid, or RSA under 1024 bits.</exception>
    public static IReadOnlyList<DkimSigner> CreateAll(BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var options = new DkimSignerOptions
        {
            TimeProvider = config.TimeProvider,
            Logger = config.LoggerFactory?.CreateLogger("ModernMail.Dkim"),
        };
        var signers = new List<DkimSigner>();
        try
        {
            if (config.DkimConfig is { } single)
            {
                signers.Add(new DkimSigner(single, options));
            }

            foreach (DkimConfig more in config.DkimSignatures)
            {
                signers.Add(new DkimSigner(more, options));
            }
        }
        catch
        {
            foreach (DkimSigner signer in signers)
            {
                signer.Dispose();
            }

            throw;
        }

        return signers;
    }

    /// <summary>Releases the private key.</summary>
    public void Dispose() => _key.Dispose();

    private DkimSignResult Finish(HeaderBlock block, byte[] bodyHash)
    {
        long now = _options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
        string[] signedNames = SignedNames(block);
        int namesLength = 0;
        foreach (string name in signedNames)
        {
            namesLength += name.Length + 3;
        }

        // Tags, h=, bh= and b= (base64 of the signature) plus a fold every 78 characters.
        int signatureLength = (_key.SignatureSize + 2) / 3 * 4;
        var folder = new DkimHeaderFolder("DKIM-Signature", (200 + namesLength + signatureLength) * 81 / 78);
        folder.AppendTag("v=1;");
        folder.AppendTag($"a={_key.Algorithm};");
        folder.AppendTag($"c={Name(_headerCanonicalization)}/{Name(_bodyCanonicalization)};");
        folder.AppendTag($"d={_domain};");
        folder.AppendTag($"s={_selector};");
        folder.AppendTag($"t={now};");
        if (_expiration is { } expiration)
        {
            folder.AppendTag($"x={now + (long)Math.Ceiling(expiration.TotalSeconds)};");
        }

        folder.AppendHeaderList(signedNames);
        folder.AppendBase64("bh", Convert.ToBase64String(bodyHash), terminate: true);
        folder.AppendEmptySignatureTag();

        string unsignedText = folder.ToString();
        byte[] unsigned = ArrayPool<byte>.Shared.Rent(unsignedText.Length);
        byte[] hash;
        try
        {
            int unsignedLength = Encoding.ASCII.GetBytes(unsignedText, unsigned);
            using var headerHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            DkimHeaderCanonicalizer.AppendSignedHeaders(headerHash, block, signedNames, unsigned.AsSpan(0, unsignedLength), _headerCanonicalization);
            hash = headerHash.GetHashAndReset();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(unsigned);
        }

        folder.AppendBase64Value(Convert.ToBase64String(_key.SignHash(hash)), terminate: false);
        folder.AppendLineBreak();
        string header = folder.ToString();

        IReadOnlyList<string> warnings = Warnings(block);
        if (_options.Logger is { } logger)
        {
            foreach (string warning in warnings)
            {
                DkimLog.SignWarning(logger, warning);
            }

            DkimLog.Signed(logger, _domain, _selector, _key.Algorithm);
        }

        return new DkimSignResult(header, warnings);
    }

    private string[] SignedNames(HeaderBlock block)
    {
        var names = new List<string>(16);
        int from = block.Count("from");
        for (int i = 0; i < Math.Max(from, 1); i++)
        {
            names.Add("from");
        }

        foreach (string name in _headers)
        {
            int count = block.Count(name);
            for (int i = 0; i < count; i++)
            {
                names.Add(name);
            }
        }

        // Over-sign From: one more "from" than there are From fields, so that none can be added (§8.15).
        if (from > 0)
        {
            names.Add("from");
        }

        return names.ToArray();
    }

    private IReadOnlyList<string> Warnings(HeaderBlock block)
    {
        List<string>? warnings = null;
        int fromCount = 0;
        foreach (HeaderField field in block.Fields)
        {
            if (!block.NameEquals(field, "from"))
            {
                continue;
            }

            fromCount++;
            string? fromDomain = DkimAddress.FindDomain(block.RawString(field));
            if (fromDomain is null)
            {
                (warnings ??= []).Add("The From header has no address with a domain; DMARC cannot align it with the DKIM signing domain " + _domain + ".");
            }
            else if (!DkimNames.IsSameOrSubdomain(fromDomain, _domain))
            {
                (warnings ??= []).Add($"The From domain {fromDomain} is not the DKIM signing domain {_domain} or a subdomain of it; the signature will not give DMARC alignment.");
            }
        }

        if (fromCount == 0)
        {
            (warnings ??= []).Add("The message has no From header; RFC 5322 requires one and DKIM verifiers reject signatures without it.");
        }
        else if (fromCount > 1)
        {
            (warnings ??= []).Add($"The message has {fromCount} From headers; most receivers reject such messages.");
        }

        return warnings ?? (IReadOnlyList<string>)[];
    }

    private static string[] HeaderNames(IList<string>? configured)
    {
        if (configured is null)
        {
            return s_defaultHeaders;
        }

        var names = new List<string>();
        foreach (string name in configured)
        {
            string trimmed = name.Trim().ToLowerInvariant();
            if (trimmed.Length == 0 || trimmed.AsSpan().IndexOfAny(": \t\r\n;") >= 0)
            {
                throw new DkimException($"\"{name}\" is not a header field name that can be signed.");
            }

            if (trimmed is not ("from" or "dkim-signature") && !names.Contains(trimmed))
            {
                names.Add(trimmed);
            }
        }

        return names.ToArray();
    }

    private static string Name(DkimCanonicalization canonicalization) =>
        canonicalization == DkimCanonicalization.Relaxed ? "relaxed" : "simple";
}
