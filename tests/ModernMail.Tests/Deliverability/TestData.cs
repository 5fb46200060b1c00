namespace ModernMail.Tests.Deliverability;

/// <summary>Finds files under tests/testdata from the test's output directory.</summary>
internal static class TestData
{
    public static string GetPath(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine([dir.FullName, "tests", "testdata", .. parts]);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("tests/testdata/" + string.Join('/', parts) + " not found above " + AppContext.BaseDirectory);
    }
}
