using System.Net.Mail;
using System.Text;
using ModernMail.Delivery;
using Xunit;

namespace ModernMail.Tests.Delivery;

/// <summary>Issue 16, items 1 and 2 as a class: one reply out of turn (extra or duplicated) at every stage of the first
/// or second of three messages sent over one pooled connection, with and without pipelining. Every recipient's result must be what the
/// server really decided for that recipient in that message, or a transient failure; never another one's reply. A third
/// message checks that the connection that carried the stray reply was never used again.</summary>
public partial class SmtpTransportFaultTests
{
    private static readonly string[] s_matrixRecipients = ["ok1@a.test", "bad@a.test", "later@a.test", "ok2@a.test"];

    public static TheoryData<InjectionStage, InjectionKind, bool, bool, int> Injections()
    {
        var data = new TheoryData<InjectionStage, InjectionKind, bool, bool, int>();
        // Over TLS the client cannot see undecrypted records in the socket before a command: pipelined is the harder case.
        foreach (var (pipelining, tls) in new[] { (true, false), (false, false), (true, true) })
        {
            // Message 0: no injection at all, the control.
            data.Add(InjectionStage.Greeting, InjectionKind.Extra250, pipelining, tls, 0);
            foreach (var stage in Enum.GetValues<InjectionStage>())
            {
                if (stage == InjectionStage.StartTls && !tls)
                {
                    continue;
                }
                foreach (var kind in Enum.GetValues<InjectionKind>())
                {
                    foreach (int message in new[] { 1, 2 })
                    {
                        // Greeting and EHLO happen once, before message 1; the reuse RSET only before message 2.
                        bool happens = stage switch
                        {
                            InjectionStage.Greeting or InjectionStage.Ehlo or InjectionStage.StartTls => message == 1,
                            InjectionStage.Rset => message == 2,
                            _ => true,
                        };
                        if (happens)
                        {
                            data.Add(stage, kind, pipelining, tls, message);
                        }
                    }
                }
            }
        }
        return data;
    }

    [Theory(Timeout = 60000)]
    [MemberData(nameof(Injections))]
    public async Task Deliver_ReplyOutOfTurn_EveryRecipientGetsItsOwnDecisionOrIsTransient(InjectionStage stage, InjectionKind kind, bool pipelining, bool tls, int message)
    {
        var injection = message == 0 ? null : new Injection(stage, kind, message);
        var decisions = new ServerDecisions();
        var server = new ScriptedSmtpServer { Conversation = () => new InjectingConversation(injection, pipelining, tls, decisions) };
        for (int i = 0; i < 4; i++)
        {
            server.Then("SERVE");
        }
        ScriptedSmtpServer.WarmUpCertificate();
        var config = Config(server, tls ? TlsPolicy.Required : TlsPolicy.Opportunistic);
        config.Timeouts.Command = TimeSpan.FromSeconds(25); // a TLS handshake on a loaded 2-core machine
        var transport = new SmtpTransport(config);

        var results = new List<IReadOnlyList<DeliveryResult>>();
        for (int m = 1; m <= 3; m++)
        {
            var envelope = new Envelope(new MailAddress($"m{m}@sender.test"), s_matrixRecipients.Select(r => new MailAddress(r)).ToList());
            using var body = new MemoryStream(Encoding.UTF8.GetBytes(Message));
            results.Add(await transport.DeliverAsync(envelope, body, TestContext.Current.CancellationToken));
        }
        await FinishAsync(transport, server);

        Assert.True(injection is null || decisions.Fired is not null, "the injection never happened");
        Assert.Empty(decisions.Violations);
        for (int m = 1; m <= 3; m++)
        {
            string id = $"m{m}";
            for (int i = 0; i < s_matrixRecipients.Length; i++)
            {
                var result = results[m - 1][i];
                Assert.Equal(s_matrixRecipients[i], result.Recipient.Address);
                AssertServersOwnDecisionOrTransient(decisions, id, result);
                Assert.True(!result.Delivered || result.UsedTls == tls, "delivered without the TLS the policy requires");
            }
            // A message the stray reply did not touch (or touched only after its final reply) is decided exactly;
            // so is one whose pooled connection answered RSET twice: it moves to a new connection.
            if (injection is null || injection.Message != m || injection.Stage is InjectionStage.Final or InjectionStage.Rset)
            {
                AssertExactly(decisions, id, results[m - 1]);
            }
        }
        // One connection for all messages, unless a stray reply made it unusable: then exactly one more.
        Assert.Equal(injection is null ? 1 : 2, server.ConnectionCount);
    }

    private static void AssertServersOwnDecisionOrTransient(ServerDecisions decisions, string message, DeliveryResult result)
    {
        string recipient = result.Recipient.Address;
        string where = $"{recipient} in {message}: {result.Detail}";
        string? rcpt = decisions.RcptOf(message, recipient);
        if (result.Delivered)
        {
            Assert.True(rcpt?.StartsWith("250", StringComparison.Ordinal), where);
            Assert.Equal(decisions.FinalOf(message), result.Reply?.ToString());
            return;
        }
        if (result.Reply is { } reply)
        {
            // The only negative replies this server gives are per recipient (550, 451) or "no valid recipients" to DATA.
            string shown = reply.ToString();
            Assert.True(shown == rcpt || shown == decisions.DataOf(message), $"{where}: got \"{shown}\", the server said \"{rcpt}\"");
            Assert.Equal(reply.IsTransient, result.IsTransient);
            return;
        }
        Assert.True(result.IsTransient, where);
    }

    private static void AssertExactly(ServerDecisions decisions, string message, IReadOnlyList<DeliveryResult> results)
    {
        string? final = decisions.FinalOf(message);
        Assert.NotNull(final);
        foreach (var result in results)
        {
            string recipient = result.Recipient.Address;
            string? rcpt = decisions.RcptOf(message, recipient);
            if (recipient.StartsWith("ok", StringComparison.Ordinal))
            {
                Assert.True(result.Delivered, $"{recipient} in {message}: {result.Detail}");
                Assert.Equal(final, result.Reply?.ToString());
            }
            else
            {
                Assert.False(result.Delivered);
                Assert.Equal(rcpt, result.Reply?.ToString());
                Assert.Equal(recipient.StartsWith("later", StringComparison.Ordinal), result.IsTransient);
            }
        }
    }
}
