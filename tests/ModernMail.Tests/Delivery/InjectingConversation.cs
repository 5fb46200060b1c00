using System.Text.RegularExpressions;

namespace ModernMail.Tests.Delivery;

/// <summary>Where an <see cref="InjectingConversation"/> adds a reply nobody asked for: after the reply to this stage.</summary>
public enum InjectionStage
{
    Greeting,
    Ehlo,
    StartTls,
    Mail,
    Rcpt1,
    Rcpt2,
    Rcpt3,
    Rcpt4,
    Data,
    Final,
    Rset,
}

/// <summary>What the injected reply is.</summary>
public enum InjectionKind
{
    Extra250,
    Extra550,
    Extra354,
    Duplicate,
}

/// <summary>One reply out of turn, in the same write as the reply to <paramref name="Stage"/> of message <paramref name="Message"/> (1-based).</summary>
public sealed record Injection(InjectionStage Stage, InjectionKind Kind, int Message);

/// <summary>What the server really decided, per message (the sender's local part, "m1", "m2") and recipient.</summary>
internal sealed class ServerDecisions
{
    private readonly Dictionary<(string Message, string Recipient), string> _rcpt = [];
    private readonly Dictionary<string, string> _data = [];
    private readonly Dictionary<string, string> _final = [];
    private readonly HashSet<string> _mail = [];

    /// <summary>Where the injection was written, once it was.</summary>
    public string? Fired { get; private set; }

    /// <summary>Things the client did that it must never do (reuse a connection that had a reply out of turn).</summary>
    public List<string> Violations { get; } = [];

    public void Mail(string message)
    {
        lock (this)
        {
            _mail.Add(message);
        }
    }

    public bool SawMail(string message)
    {
        lock (this)
        {
            return _mail.Contains(message);
        }
    }

    public void Rcpt(string message, string recipient, string reply) => Set(() => _rcpt[(message, recipient)] = reply);

    public void Data(string message, string reply) => Set(() => _data[message] = reply);

    public void Final(string message, string reply) => Set(() => _final[message] = reply);

    public string? RcptOf(string message, string recipient) => Get(() => _rcpt.GetValueOrDefault((message, recipient)));

    public string? DataOf(string message) => Get(() => _data.GetValueOrDefault(message));

    public string? FinalOf(string message) => Get(() => _final.GetValueOrDefault(message));

    public void Fire(string where) => Set(() => Fired = where);

    public void Violation(string what) => Set(() => Violations.Add(what));

    private void Set(Action action)
    {
        lock (this)
        {
            action();
        }
    }

    private string? Get(Func<string?> read)
    {
        lock (this)
        {
            return read();
        }
    }
}

/// <summary>An honest little SMTP server (it decides by the recipient's local part: ok*, bad*, later*) that writes
/// one reply out of turn, once, where <see cref="Injection"/> says. Every reply names its message and, for RCPT,
/// its recipient, so a reply handed to the wrong recipient or message is visible.</summary>
/// <remarks>With <c>tls</c> it offers STARTTLS; the EHLO stage is the first EHLO, before TLS.</remarks>
internal sealed partial class InjectingConversation(Injection? injection, bool pipelining, bool tls, ServerDecisions decisions) : IScriptedConversation
{
    private bool _secured;
    private int _ehloCount;
    private string? _message;
    private int _rcptCount;
    private int _accepted;
    private bool _injectedHere;

    public bool ExpectsBody { get; private set; }

    public bool StartsTls { get; private set; }

    public string? Answer(string line)
    {
        StartsTls = false;
        if (line.Length == 0)
        {
            return Reply(InjectionStage.Greeting, "220 noisy.test ESMTP");
        }
        if (ExpectsBody && line == ".")
        {
            ExpectsBody = false;
            string final = $"250 2.0.0 {_message} queued";
            decisions.Final(_message!, final);
            string answer = Reply(InjectionStage.Final, final);
            _message = null;
            return answer;
        }
        string verb = line.Split(' ', 2)[0].ToUpperInvariant();
        switch (verb)
        {
            case "EHLO":
                {
                    _ehloCount++;
                    string reply = "250-noisy.test\r\n" + (pipelining ? "250-PIPELINING\r\n" : "") + (tls && !_secured ? "250-STARTTLS\r\n" : "") + "250 ENHANCEDSTATUSCODES";
                    return _ehloCount == 1 ? Reply(InjectionStage.Ehlo, reply) : reply + "\r\n";
                }
            case "STARTTLS" when tls && !_secured:
                _secured = true;
                StartsTls = true;
                return Reply(InjectionStage.StartTls, "220 2.0.0 go ahead");
            case "MAIL":
                {
                    if (_injectedHere)
                    {
                        decisions.Violation($"MAIL after a reply out of turn on the same connection: {line}");
                    }
                    _message = Address().Match(line).Groups["local"].Value;
                    _rcptCount = 0;
                    _accepted = 0;
                    decisions.Mail(_message);
                    return Reply(InjectionStage.Mail, $"250 2.1.0 {_message} sender ok");
                }
            case "RCPT":
                {
                    if (_message is null)
                    {
                        return "503 5.5.1 need MAIL first\r\n";
                    }
                    string recipient = Address().Match(line).Groups["address"].Value;
                    string reply = recipient switch
                    {
                        _ when recipient.StartsWith("ok", StringComparison.Ordinal) => $"250 2.1.5 <{recipient}> ok for {_message}",
                        _ when recipient.StartsWith("bad", StringComparison.Ordinal) => $"550 5.1.1 <{recipient}> unknown in {_message}",
                        _ => $"451 4.3.0 <{recipient}> try later for {_message}",
                    };
                    _accepted += reply[0] == '2' ? 1 : 0;
                    decisions.Rcpt(_message, recipient, reply);
                    _rcptCount++;
                    return Reply(InjectionStage.Rcpt1 + Math.Min(_rcptCount, 4) - 1, reply);
                }
            case "DATA":
                {
                    if (_message is null)
                    {
                        return "503 5.5.1 need MAIL first\r\n";
                    }
                    string reply = _accepted > 0 ? $"354 {_message} go ahead" : $"554 5.5.1 {_message} no valid recipients";
                    decisions.Data(_message, reply);
                    ExpectsBody = _accepted > 0;
                    return Reply(InjectionStage.Data, reply);
                }
            case "RSET":
                _message = null;
                return Reply(InjectionStage.Rset, "250 2.0.0 reset");
            case "QUIT":
                return "221 2.0.0 bye\r\n";
            default:
                return "502 5.5.2 unknown command\r\n";
        }
    }

    private string Reply(InjectionStage stage, string reply)
    {
        reply += "\r\n";
        if (injection is null || injection.Stage != stage || !Due(injection) || decisions.Fired is not null)
        {
            return reply;
        }
        decisions.Fire($"{injection.Kind} after {stage} of m{injection.Message}");
        _injectedHere = true;
        return reply + injection.Kind switch
        {
            InjectionKind.Extra250 => "250 2.0.0 unsolicited extra\r\n",
            InjectionKind.Extra550 => "550 5.7.1 unsolicited extra\r\n",
            InjectionKind.Extra354 => "354 unsolicited extra\r\n",
            _ => reply,
        };
    }

    /// <summary>Whether the stage now belongs to the message the injection is for.</summary>
    private bool Due(Injection due) => due.Stage switch
    {
        InjectionStage.Greeting or InjectionStage.Ehlo or InjectionStage.StartTls => due.Message == 1,
        // The RSET that readies a pooled connection for message N comes after message N-1 and before N's MAIL.
        InjectionStage.Rset => _message is null && decisions.FinalOf($"m{due.Message - 1}") is not null && !decisions.SawMail($"m{due.Message}"),
        _ => _message == $"m{due.Message}",
    };

    [GeneratedRegex("<(?<address>(?<local>[^@>]*)@?[^>]*)>")]
    private static partial Regex Address();
}
