namespace TensorGraph.Fuzz;

/// <summary>
/// One reader under test: its seed corpus, its mutations and how one case is run. A case writes
/// its parts as real files into a scratch folder and calls the reader's public, path-based entry
/// point (what users call), then goes one cheap step further where the reader loads a graph
/// (export it again, read every tensor).
/// </summary>
internal abstract class FuzzTarget
{
    /// <summary>The name used on the command line and for the regression folder.</summary>
    public abstract string Name { get; }

    /// <summary>How many files one case consists of.</summary>
    public virtual int Parts => 1;

    /// <summary>Extension of stored single-part cases (multi-part cases use <c>.case</c>).</summary>
    public abstract string Extension { get; }

    /// <summary>Seeds: TensorFlow-written fixtures (when <paramref name="fixtures"/> is known) and files written by TensorGraph.</summary>
    public abstract IReadOnlyList<FuzzInput> Seeds(string? fixtures, string scratch);

    /// <summary>Runs one case; a typed error or a normal return is a pass.</summary>
    public abstract void Execute(FuzzInput input, string scratch);

    /// <summary>One mutated case from the corpus; the default mixes structure-aware and byte mutations.</summary>
    public virtual FuzzInput Mutate(IReadOnlyList<FuzzInput> corpus, Rng rng)
    {
        var seed = rng.Pick(corpus);
        int part = rng.Next(seed.Parts.Length);
        var other = rng.Pick(corpus);
        var otherPart = other.Parts[Math.Min(part, other.Parts.Length - 1)];
        byte[] bytes = seed.Parts[part];
        if (rng.OneIn(3) && StructureMutate(seed, part, rng) is { } structured)
        {
            bytes = structured;
            if (rng.OneIn(3)) bytes = ByteMutator.Mutate(bytes, rng, otherPart, 2);
        }
        else
        {
            bytes = ByteMutator.Mutate(bytes, rng, otherPart);
        }
        return seed.With(part, bytes);
    }

    /// <summary>
    /// Smaller variants of one part for the minimizer that keep the format valid (e.g. a protobuf
    /// with one repeated element or field removed); byte-level deletion cannot find those.
    /// </summary>
    public virtual IEnumerable<byte[]> ShrinkCandidates(byte[] part, int index) => [];

    /// <summary>A format-aware mutation of one part, or null when this reader has none for it.</summary>
    protected virtual byte[]? StructureMutate(FuzzInput seed, int part, Rng rng) => null;

    /// <summary>Whether a finding in this reader is a known issue (still reported, never failing a run).</summary>
    public string? KnownIssue(Exception e) => KnownIssues.Match(e);

    /// <summary>A scratch file path inside the case folder.</summary>
    protected static string FileIn(string scratch, string name) => Path.Combine(scratch, name);

    protected static void Write(string path, byte[] bytes)
    {
        var dir = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        File.WriteAllBytes(path, bytes);
    }

    protected static void AddFixture(List<FuzzInput> seeds, string? fixtures, params string[] relative)
    {
        if (fixtures is null) return;
        var paths = relative.Select(r => Path.Combine(fixtures, r)).ToArray();
        if (paths.All(File.Exists)) seeds.Add(new FuzzInput(paths.Select(File.ReadAllBytes).ToArray()));
    }
}
