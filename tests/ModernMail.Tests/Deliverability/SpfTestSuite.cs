using System.Net;
using ModernMail.Deliverability;
using ModernMail.Dns;
using YamlDotNet.RepresentationModel;

namespace ModernMail.Tests.Deliverability;

/// <summary>Loads the openspf RFC 7208 test suite (tests/testdata/spf/rfc7208-tests.yml): scenarios of tests plus zone data.</summary>
internal sealed class SpfTestSuite
{
    private static readonly Lazy<SpfTestSuite> s_instance = new(() => Load(TestData.GetPath("spf", "rfc7208-tests.yml")));

    public static SpfTestSuite Instance => s_instance.Value;

    public List<Scenario> Scenarios { get; } = [];

    public sealed record Scenario(string Description, Dictionary<string, Case> Tests, YamlMappingNode? ZoneData);

    public sealed record Case(string Name, string Helo, string Host, string MailFrom, IReadOnlyList<string> Results, string? Explanation);

    public static SpfTestSuite Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        var suite = new SpfTestSuite();
        foreach (var document in stream.Documents)
        {
            var root = (YamlMappingNode)document.RootNode;
            var description = Scalar(root, "description") ?? "";
            var tests = new Dictionary<string, Case>(StringComparer.Ordinal);
            foreach (var (key, value) in (YamlMappingNode)root.Children[new YamlScalarNode("tests")])
            {
                var test = (YamlMappingNode)value;
                var result = test.Children[new YamlScalarNode("result")];
                var results = result is YamlSequenceNode seq
                    ? seq.Children.Select(n => ((YamlScalarNode)n).Value!).ToList()
                    : [((YamlScalarNode)result).Value!];
                var name = ((YamlScalarNode)key).Value!;
                tests[name] = new Case(name, Scalar(test, "helo") ?? "", Scalar(test, "host")!, Scalar(test, "mailfrom") ?? "", results, Scalar(test, "explanation"));
            }

            root.Children.TryGetValue(new YamlScalarNode("zonedata"), out var zone);
            suite.Scenarios.Add(new Scenario(description, tests, zone as YamlMappingNode));
        }

        return suite;
    }

    /// <summary>Builds the in-memory DNS of a scenario, copying SPF-type records to TXT as the suite's drivers do.</summary>
    public static InMemoryDnsLookup BuildDns(Scenario scenario)
    {
        var dns = new InMemoryDnsLookup();
        if (scenario.ZoneData is null)
        {
            return dns;
        }

        foreach (var (key, value) in scenario.ZoneData)
        {
            var name = ((YamlScalarNode)key).Value!;
            dns.AddName(name);
            var entries = ((YamlSequenceNode)value).Children;
            var hasTxt = entries.OfType<YamlMappingNode>().Any(e => TypeOf(e) == "TXT");
            foreach (var entry in entries)
            {
                if (entry is YamlScalarNode { Value: "TIMEOUT" })
                {
                    dns.AddTimeout(name);
                    continue;
                }

                var map = (YamlMappingNode)entry;
                var type = TypeOf(map);
                var data = map.Children.Values.Single();
                switch (type)
                {
                    case "SPF" when !hasTxt:
                    case "TXT":
                        if (data is YamlScalarNode { Value: "NONE" })
                        {
                            break;
                        }

                        dns.AddTxt(name, data is YamlSequenceNode parts
                            ? string.Concat(parts.Children.Select(p => ((YamlScalarNode)p).Value))
                            : ((YamlScalarNode)data).Value ?? "");
                        break;
                    case "SPF":
                        break;
                    case "A":
                    case "AAAA":
                        dns.AddAddress(name, IPAddress.Parse(((YamlScalarNode)data).Value!));
                        break;
                    case "MX":
                        var mx = (YamlSequenceNode)data;
                        dns.AddMx(name, int.Parse(((YamlScalarNode)mx.Children[0]).Value!), ((YamlScalarNode)mx.Children[1]).Value!);
                        break;
                    case "PTR":
                        dns.AddPtr(name, ((YamlScalarNode)data).Value!);
                        break;
                    case "CNAME":
                        dns.AddCname(name, ((YamlScalarNode)data).Value!);
                        break;
                    default:
                        throw new InvalidDataException($"zone data type {type} at {name} is not supported");
                }
            }
        }

        return dns;
    }

    private static string TypeOf(YamlMappingNode entry) => ((YamlScalarNode)entry.Children.Keys.Single()).Value!;

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;
}
