using System.Net;
using ModernMail.Deliverability;
using Xunit;

namespace ModernMail.Tests.Deliverability;

/// <summary>Runs every case of the openspf RFC 7208 test suite through <see cref="SpfEvaluator"/>.</summary>
public sealed class Rfc7208SuiteTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var scenario in SpfTestSuite.Instance.Scenarios)
        {
            foreach (var name in scenario.Tests.Keys)
            {
                data.Add(scenario.Description, name);
            }
        }

        return data;
    }

    [Fact]
    public void Suite_Loads_AllScenarios()
    {
        Assert.Equal(16, SpfTestSuite.Instance.Scenarios.Count);
        Assert.True(Cases().Count > 150, $"only {Cases().Count} cases loaded");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task CheckHost_MatchesSuite(string scenarioDescription, string testName)
    {
        var scenario = SpfTestSuite.Instance.Scenarios.Single(s => s.Description == scenarioDescription);
        var test = scenario.Tests[testName];
        var dns = SpfTestSuite.BuildDns(scenario);
        var evaluator = new SpfEvaluator(dns, new SpfEvaluatorOptions { ReceivingHost = "receiver.example.net" });

        var evaluation = await evaluator.CheckMailFromAsync(IPAddress.Parse(test.Host), test.MailFrom, test.Helo, TestContext.Current.CancellationToken);

        var actual = evaluation.Result.ToString().ToLowerInvariant();
        Assert.True(test.Results.Contains(actual), $"{testName}: expected {string.Join(" or ", test.Results)}, got {actual} ({evaluation.Reason})");
        if (test.Explanation is not null && actual == "fail")
        {
            // The suite writes %{i} nibbles of v6 in upper case where RFC 7208 §7.4's example is lower case: compare ignoring case.
            Assert.Equal(test.Explanation == "DEFAULT" ? null : test.Explanation, evaluation.Explanation, ignoreCase: true);
        }
    }
}
