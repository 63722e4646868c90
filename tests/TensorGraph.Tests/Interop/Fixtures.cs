namespace TensorGraph.Tests.Serialization;

/// <summary>Locates the TensorFlow-written fixture files in ../shared/fixtures/tensorflow (relative to the repo root).</summary>
internal static class Fixtures
{
    private static string? _root;
    private static string? _repo;

    /// <summary>The repository root (the folder holding Graph.sln); fails the test when it cannot be found.</summary>
    public static string RepoRoot
    {
        get
        {
            if (_repo is not null) return _repo;
            var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Graph.sln"))) dir = dir.Parent;
            if (dir is null) Assert.Fail("Could not find the repository root (the folder holding Graph.sln) above " + TestContext.CurrentContext.TestDirectory);
            return _repo = dir!.FullName;
        }
    }

    /// <summary>The fixture root; fails the test (never passes silently) when it is missing.</summary>
    public static string Root
    {
        get
        {
            if (_root is not null) return _root;
            var root = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "fixtures", "tensorflow"));
            if (!Directory.Exists(root))
                Assert.Fail($"TensorFlow fixtures not found at '{root}'. They are expected in ../shared/fixtures/tensorflow next to the repository.");
            return _root = root;
        }
    }

    /// <summary>The third-party fixtures committed with the tests (tests/fixtures, see its README).</summary>
    /// Fails the test when the file or folder is missing.
    public static string ThirdParty(string relative)
    {
        var p = Path.Combine(RepoRoot, "tests", "fixtures", relative);
        if (!File.Exists(p) && !Directory.Exists(p)) Assert.Fail($"Fixture '{p}' is missing");
        return p;
    }

    /// <summary>Full path of a fixture file; fails the test when it is missing.</summary>
    public static string File_(string relative)
    {
        var p = Path.Combine(Root, relative);
        if (!File.Exists(p)) Assert.Fail($"Fixture file missing: '{p}'");
        return p;
    }

    /// <summary>Full path of a fixture file or folder; fails the test when it is missing.</summary>
    public static string Existing(string relative)
    {
        var p = Path.Combine(Root, relative);
        if (!File.Exists(p) && !Directory.Exists(p)) Assert.Fail($"Fixture '{p}' is missing");
        return p;
    }

    /// <summary>Every fixture file with the given extension, relative to the root, sorted.</summary>
    public static string[] All(string extension) =>
        Directory.EnumerateFiles(Root, "*" + extension, SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Root, p).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToArray();

    /// <summary>What a binary fixture holds, by name: SavedModel, MetaGraphDef, GraphDef or null (other protos / junk).</summary>
    public static string? Kind(string relative)
    {
        var name = Path.GetFileName(relative);
        if (name == "saved_model.pb") return "SavedModel";
        if (relative.EndsWith(".meta", StringComparison.Ordinal)) return "MetaGraphDef";
        if (name is "fingerprint.pb" or "keras_metadata.pb" or "saved_model_config.pb" or "graph2.pb") return null;
        if (relative.EndsWith(".pb", StringComparison.Ordinal)) return "GraphDef";
        return null;
    }
}
