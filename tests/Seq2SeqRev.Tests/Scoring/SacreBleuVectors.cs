// Loads TestData/sacrebleu-test-vectors.json, which lives in this repository and is copied beside the test
// binaries by the build. Guarantees: a missing file is reported through Names() as a sentinel case whose test
// fails with a clear message; it never makes the suite skip silently.
using System.Text.Json.Nodes;

namespace Seq2SeqRev.Tests.Scoring;

internal static class SacreBleuVectors
{
    public const string MissingSentinel = "<vectors file missing>";
    public const int ExpectedCount = 74;

    private static readonly Lazy<(string? Path, string? Error)> Location = new(Locate);
    private static readonly Lazy<Dictionary<string, JsonObject>> ByName = new(Load);

    public static string? LoadError => Location.Value.Error;

    /// <summary>Theory data: every vector name, or the sentinel when the file cannot be found.</summary>
    public static IEnumerable<object[]> Names()
    {
        if (Location.Value.Error is not null) return [[MissingSentinel]];
        return ByName.Value.Keys.Select(k => new object[] { k });
    }

    public static int Count => ByName.Value.Count;

    public static JsonObject Get(string name) => ByName.Value[name];

    private static (string? Path, string? Error) Locate()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "sacrebleu-test-vectors.json");
        return File.Exists(path) ? (path, null) : (null, $"sacreBLEU test vectors not found at {path}");
    }

    private static Dictionary<string, JsonObject> Load()
    {
        var (path, error) = Location.Value;
        if (path is null) throw new InvalidOperationException(error);
        var array = JsonNode.Parse(File.ReadAllText(path))!.AsArray();
        var result = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var node in array)
        {
            var obj = node!.AsObject();
            result.Add(obj["name"]!.GetValue<string>(), obj);
        }
        return result;
    }
}
