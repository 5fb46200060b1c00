using ModernMail.Delivery;
using ModernMail.Tests.Routing;
using Xunit;

namespace ModernMail.Tests.Delivery;

/// <summary>Failures no server reply decided still go through the classifier: stage, category and outcome.</summary>
public partial class SmtpTransportFaultTests
{
    [Theory(Timeout = 30000)]
    [InlineData(true, true, BounceCategory.DnsFailure)] // SERVFAIL: try again
    [InlineData(false, false, BounceCategory.BadDomain)] // NXDOMAIN: the domain does not exist
    public async Task Deliver_MxLookupFails_StageDnsClassified(bool serverFailure, bool transient, BounceCategory category)
    {
        var resolver = new FakeMxResolver();
        if (serverFailure)
        {
            resolver.Zone.AddServerFailure("broken.test");
        }
        var transport = new SmtpTransport(new BrokerConfig { HostName = "client.test", Timeouts = Short() }, resolver);

        var result = Assert.Single(await DeliverAsync(transport, "x@broken.test"));

        Assert.False(result.Delivered);
        Assert.Equal((SmtpStage.Dns, transient, category), (result.Stage, result.IsTransient, result.Category));
        await transport.DisposeAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_NothingListens_StageConnectTransientConnectionFailed()
    {
        var closed = new ScriptedSmtpServer();
        int port = closed.Port;
        await closed.DisposeAsync();
        var config = new BrokerConfig { HostName = "client.test", Timeouts = Short() };
        config.Routes["*"] = $"127.0.0.1:{port}";
        var transport = new SmtpTransport(config);

        var result = Assert.Single(await DeliverAsync(transport, "x@a.test"));

        Assert.Equal((SmtpStage.Connect, true, BounceCategory.ConnectionFailed), (result.Stage, result.IsTransient, result.Category));
        await transport.DisposeAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_GreetingNamesABlockList_TransientButCategorizedFromTheText()
    {
        // Every MX refusing at the greeting stays a transient "no mail exchanger could be used"; the text still says why.
        var server = new ScriptedSmtpServer().Then("S: 554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org\nCLOSE");
        var transport = new SmtpTransport(Config(server));

        var result = Assert.Single(await DeliverAsync(transport, "x@a.test"));

        Assert.Equal((SmtpStage.Connect, true, BounceCategory.SpamBlock), (result.Stage, result.IsTransient, result.Category));
        await FinishAsync(transport, server);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_LargerThanAdvertisedSize_StageEhloPermanentMessageTooBig()
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("SIZE 10"));
        var transport = new SmtpTransport(Config(server));

        var result = Assert.Single(await DeliverAsync(transport, "x@a.test"));

        Assert.Equal((SmtpStage.Ehlo, false, BounceCategory.MessageTooBig), (result.Stage, result.IsTransient, result.Category));
        Assert.Null(result.Reply);
        await FinishAsync(transport, server);
    }
}
