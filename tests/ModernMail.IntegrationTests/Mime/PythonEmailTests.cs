using System.Diagnostics;
using System.Net.Mail;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using ModernMail.Dkim;
using ModernMail.IntegrationTests.Cli;
using ModernMail.IntegrationTests.World;
using ModernMail.Tests.Mime;
using Xunit;

namespace ModernMail.IntegrationTests.Mime;

/// <summary>
/// Messages with hostile text in every field, rendered by <see cref="MailBroker.RenderAsync"/> and parsed by an independent
/// parser, Python's <c>email</c> with <c>policy.default</c>: no defects anywhere, and what Python decodes (display names,
/// subject, file names, custom header) is what the sender wrote, after the documented control replacement.
/// </summary>
public sealed class PythonEmailTests
{
    // Reads every case, records every defect Python's parser registers (message, parts, header values) and what it decodes.
    private const string Script = """
        import sys, json, email
        from email import policy
        from email.parser import BytesParser

        def defects_of(message, where):
            found = [f"{where}: {type(d).__name__}: {d}" for d in message.defects]
            for name, value in message.items():
                found += [f"{where} {name}: {type(d).__name__}: {d}" for d in getattr(value, 'defects', ())]
            return found

        def mailbox(message, field):
            header = message[field]
            if header is None:
                return None
            addresses = header.addresses
            if len(addresses) != 1:
                return {"count": len(addresses)}
            a = addresses[0]
            return {"name": a.display_name, "user": a.username, "domain": a.domain}

        results = []
        for path in sys.argv[1:]:
            with open(path, 'rb') as f:
                message = BytesParser(policy=policy.default).parse(f)
            defects = []
            files = []
            inner = None
            for i, part in enumerate(message.walk()):
                defects += defects_of(part, f"part {i} ({part.get_content_type()})")
                if part.get_content_type() == 'message/rfc822':
                    embedded = part.get_content()
                    inner = str(embedded['Subject'])
                    defects += defects_of(embedded, "embedded message")
                elif part.get_content_disposition() in ('attachment', 'inline'):
                    files.append({
                        "saved": part.get_filename(),  # what a client saves: stripped, unquoted
                        "filename": part['Content-Disposition'].params.get('filename'),
                        "name": part['Content-Type'].params.get('name'),
                        "cid": part['Content-ID'] and str(part['Content-ID']),
                    })
            body = message.get_body(('plain',))
            results.append({
                "defects": defects,
                "from": mailbox(message, 'From'),
                "to": mailbox(message, 'To'),
                "cc": mailbox(message, 'Cc'),
                "subject": None if message['Subject'] is None else str(message['Subject']),
                "note": None if message['X-Note'] is None else str(message['X-Note']),
                "files": files,
                "inner": inner,
                "body": None if body is None else body.get_content(),
            })
        def clean(value, found):
            # Undecodable header bytes come back as lone surrogates (surrogateescape): report them, keep JSON valid.
            if isinstance(value, str):
                if any('\udc80' <= ch <= '\udcff' for ch in value):
                    found.append("undecodable bytes in " + repr(value))
                    return value.encode('utf-8', 'surrogateescape').decode('utf-8', 'replace')
                return value
            if isinstance(value, list):
                return [clean(v, found) for v in value]
            if isinstance(value, dict):
                return {k: clean(v, found) for k, v in value.items()}
            return value

        for result in results:
            found = []
            cleaned = clean(result, found)
            result.clear()
            result.update(cleaned)
            result["defects"] += found
        print(json.dumps(results, ensure_ascii=True))
        """;

    private sealed record Case(MailMessage Message, string Value, bool Note, bool FileName, bool Rfc822, string? ContentId)
    {
        public string Raw { get; set; } = "";
    }

    [Fact]
    public async Task HostileFields_ParseWithoutDefects_AndDecodeToWhatTheSenderWrote()
    {
        // Every piece on its own, then seeded combinations of them.
        var random = new Random(20261128);
        List<string> values = [.. HostileText.Pieces, .. Enumerable.Range(0, 250).Select(_ => HostileText.Make(random))];
        List<Case> cases = [.. values.Select((value, i) => Build(value, i))];
        string directory = Directory.CreateTempSubdirectory("mm-python-email-").FullName;
        try
        {
            var paths = new List<string>();
            await using (var broker = new MailBroker(new BrokerConfig { HostName = "sender.test", TimeProvider = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero)) }))
            {
                for (int i = 0; i < cases.Count; i++)
                {
                    using var output = new MemoryStream();
                    await broker.RenderAsync(cases[i].Message, output, TestContext.Current.CancellationToken);
                    byte[] raw = output.ToArray();
                    AssertLines(raw, i);
                    cases[i].Raw = Encoding.UTF8.GetString(raw);
                    string path = Path.Combine(directory, $"{i}.eml");
                    await File.WriteAllBytesAsync(path, raw, TestContext.Current.CancellationToken);
                    paths.Add(path);
                }
            }

            using JsonDocument results = await RunPythonAsync(paths);
            Assert.Equal(cases.Count, results.RootElement.GetArrayLength());
            var failures = new List<string>();
            for (int i = 0; i < cases.Count; i++)
            {
                failures.AddRange(Check(cases[i], results.RootElement[i]).Select(f => $"case {i} {Escape(cases[i].Value)}: {f}"));
            }

            Assert.True(failures.Count == 0, string.Join('\n', failures.Take(40)) + $"\n({failures.Count} failures)");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
            foreach (Case c in cases)
            {
                c.Message.Dispose();
            }
        }
    }

    [Fact]
    public async Task RenderedSinglePartWithoutFinalLineBreak_VerifiesWithDkimpy()
    {
        // Issue 16 item 11: dkimpy failed the rendered file (no final CRLF) and passed the delivered copy.
        var config = new BrokerConfig { HostName = "sender.test" };
        config.DkimSignatures.Add(DkimKeyPair.FromPem(File.ReadAllText(TestWorld.Ed25519KeyPath)).ToConfig(TestWorld.SenderDomain, TestWorld.Ed25519Selector));
        config.DkimSignatures.Add(DkimKeyPair.FromPem(File.ReadAllText(TestWorld.RsaKeyPath)).ToConfig(TestWorld.SenderDomain, TestWorld.RsaSelector));
        using var msg = new MailMessage("me@sender.test", "you@a.test", "No final break", "one line\nand the last, without a break");
        using var output = new MemoryStream();
        await using (var broker = new MailBroker(config))
        {
            await broker.RenderAsync(msg, output, TestContext.Current.CancellationToken);
        }

        Assert.EndsWith("break\r\n", Encoding.ASCII.GetString(output.ToArray()), StringComparison.Ordinal);
        Assert.Equal(["pass", "pass"], await DkimPy.VerifyAsync(output.ToArray(), DkimPy.TestKeyRecords()));
    }

    private static Case Build(string value, int index)
    {
        bool note = !HostileText.RefusedInHeaderValue(value);
        bool fileName = !HostileText.RefusedInName(value);
        bool rfc822 = index % 3 == 0;
        string? contentId = index % 5 == 0 ? $"part{index}@sender.test" : null;
        var msg = new MailMessage
        {
            From = new MailAddress("me@sender.test", value),
            Subject = value.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal), // MailMessage refuses them
            Body = index % 2 == 0 ? value : "Body line\nlast line without a break",
        };
        msg.To.Add(new MailAddress("you@a.test", value));
        // An IDN domain goes out as A-labels; a non-ASCII local part would need SMTPUTF8, which policy.default does not parse.
        msg.CC.Add(new MailAddress("cc@bücher.example", value + " cc"));
        if (note)
        {
            msg.Headers.Add("X-Note", value);
        }

        var attachment = new Attachment(new MemoryStream([1, 2, 3]), "file.bin", "application/octet-stream");
        attachment.ContentDisposition!.FileName = fileName ? value : "fallback.bin";
        if (contentId is not null)
        {
            attachment.ContentDisposition.Inline = true;
            try
            {
                attachment.ContentId = contentId;
            }
            catch (ArgumentException)
            {
                // System.Net.Mail cannot serialize some encoded-word-like names ("=?x?q?"); the writer refuses those.
                attachment.ContentDisposition.FileName = "fallback.bin";
                attachment.ContentId = contentId;
                fileName = false;
            }
        }

        msg.Attachments.Add(attachment);
        if (rfc822)
        {
            byte[] inner = Encoding.ASCII.GetBytes("From: x@example.org\nSubject: Inner subject\n\n.leading dot\nbody\n");
            msg.Attachments.Add(new Attachment(new MemoryStream(inner), "inner.eml", "message/rfc822"));
        }

        return new Case(msg, value, note, fileName, rfc822, contentId);
    }

    private static IEnumerable<string> Check(Case c, JsonElement result)
    {
        foreach (JsonElement defect in result.GetProperty("defects").EnumerateArray())
        {
            yield return "defect " + defect.GetString();
        }

        MailMessage msg = c.Message;
        foreach ((string field, MailAddress address) in new[] { ("from", msg.From!), ("to", msg.To[0]), ("cc", msg.CC[0]) })
        {
            JsonElement box = result.GetProperty(field);
            string expectedName = HostileText.ForDisplay(address.DisplayName);
            if (box.ValueKind != JsonValueKind.Object || !box.TryGetProperty("name", out JsonElement name))
            {
                yield return $"{field}: {box}";
                continue;
            }

            if (!SamePhrase(name.GetString() ?? "", expectedName, RawField(c.Raw, char.ToUpperInvariant(field[0]) + field[1..])))
            {
                yield return $"{field} name {Escape(name.GetString())} != {Escape(expectedName)}";
            }

            if (box.GetProperty("user").GetString() != address.User || box.GetProperty("domain").GetString() is not { } domain
                || !string.Equals(new System.Globalization.IdnMapping().GetAscii(domain), new System.Globalization.IdnMapping().GetAscii(address.Host), StringComparison.OrdinalIgnoreCase))
            {
                yield return $"{field} address {box}";
            }
        }

        string subject = HostileText.ForDisplay(msg.Subject);
        string? pythonSubject = result.GetProperty("subject").GetString();
        if ((subject.Length == 0 ? null : subject) != pythonSubject)
        {
            yield return $"subject {Escape(pythonSubject)} != {Escape(subject)}";
        }

        if (c.Note && result.GetProperty("note").GetString() != msg.Headers["X-Note"])
        {
            yield return $"X-Note {Escape(result.GetProperty("note").GetString())} != {Escape(msg.Headers["X-Note"])}";
        }

        JsonElement file = result.GetProperty("files")[0];
        string expectedFile = msg.Attachments[0].ContentDisposition!.FileName ?? "";
        if (file.GetProperty("filename").GetString() != expectedFile || file.GetProperty("name").GetString() != expectedFile)
        {
            yield return $"file name {file} != {Escape(expectedFile)}";
        }

        // get_filename unquotes the decoded value once more and strips it (email.utils.unquote, then strip()), however
        // the parameter was encoded; modelled here, nothing else may change.
        string expectedSaved = PythonUnquote(expectedFile).Trim();
        if (file.GetProperty("saved").GetString() is not { } saved || saved != expectedSaved)
        {
            yield return $"saved file name {file.GetProperty("saved")} != {Escape(expectedSaved)}";
        }

        if (c.ContentId is not null && file.GetProperty("cid").GetString() != $"<{c.ContentId}>")
        {
            yield return $"Content-ID {file.GetProperty("cid")}";
        }

        if (c.Rfc822 && result.GetProperty("inner").GetString() != "Inner subject")
        {
            yield return $"embedded message {result.GetProperty("inner")}";
        }

        string body = (result.GetProperty("body").GetString() ?? "").ReplaceLineEndings("\n");
        string sent = msg.Body.ReplaceLineEndings("\n");
        if (body != sent)
        {
            yield return $"body {Escape(body)} != {Escape(sent)}";
        }
    }

    /// <summary>
    /// Python's display_name sometimes reads a phrase the RFC 5322 §3.2.2 way, each run of whitespace as one space
    /// (inside an encoded-word too): either reading is accepted.
    /// It also keeps the whitespace between two adjacent encoded-words, which RFC 2047 §6.2 says to ignore (CPython
    /// gh-128110, which Python's own generator hits too); a name whose field has adjacent encoded-words is then compared
    /// without whitespace. Everything else (a decoded "=?...?=", a control character) must match exactly.
    /// </summary>
    private static bool SamePhrase(string python, string sent, string rawField)
    {
        string expected = System.Text.RegularExpressions.Regex.Replace(sent, "[ \t]+", " ");
        if (python == sent || python == expected)
        {
            return true;
        }

        static string NoSpace(string text) => string.Concat(text.Where(c => c is not (' ' or '\t')));
        return System.Text.RegularExpressions.Regex.IsMatch(rawField, @"\?=\s+=\?") && NoSpace(python) == NoSpace(expected);
    }

    /// <summary>Python's email.utils.unquote: one pair of surrounding '"' (with \\ and \" unescaped) or '&lt;' '&gt;' removed.</summary>
    private static string PythonUnquote(string text)
    {
        if (text.Length > 1 && text[0] == '"' && text[^1] == '"')
        {
            return text[1..^1].Replace("\\\\", "\\", StringComparison.Ordinal).Replace("\\\"", "\"", StringComparison.Ordinal);
        }

        return text.Length > 1 && text[0] == '<' && text[^1] == '>' ? text[1..^1] : text;
    }

    /// <summary>The unfolded header field <paramref name="name"/> of the top-level header.</summary>
    private static string RawField(string raw, string name)
    {
        string[] lines = raw[..raw.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n");
        int i = Array.FindIndex(lines, l => l.StartsWith(name + ":", StringComparison.Ordinal));
        var field = new StringBuilder(i < 0 ? "" : lines[i]);
        while (i >= 0 && ++i < lines.Length && lines[i].StartsWith(' '))
        {
            field.Append(lines[i]);
        }

        return field.ToString();
    }

    /// <summary>CRLF only and no line over 998 octets (RFC 5322 §2.1.1), checked on the bytes before Python sees them.</summary>
    private static void AssertLines(byte[] raw, int index)
    {
        int start = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] == (byte)'\n')
            {
                Assert.True(i > 0 && raw[i - 1] == (byte)'\r', $"case {index}: bare LF at {i}");
                Assert.True(i - 1 - start <= 998, $"case {index}: line of {i - 1 - start} octets");
                start = i + 1;
            }
            else if (raw[i] == (byte)'\r')
            {
                Assert.True(i + 1 < raw.Length && raw[i + 1] == (byte)'\n', $"case {index}: bare CR at {i}");
            }
        }

        Assert.Equal(raw.Length, start); // ends with CRLF
    }

    private static async Task<JsonDocument> RunPythonAsync(List<string> paths)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Script);
        foreach (string path in paths)
        {
            info.ArgumentList.Add(path);
        }

        using Process process = Process.Start(info) ?? throw new InvalidOperationException("python3 did not start.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, $"python3 failed: {await stderr}");
        return JsonDocument.Parse(await stdout);
    }

    private static string Escape(string? text) => text is null ? "(null)" : JsonSerializer.Serialize(text.Length > 120 ? text[..120] + "…" : text);
}
