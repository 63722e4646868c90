using System.Globalization;
using System.Text;

namespace TensorGraph.Fuzz;

/// <summary>
/// The regression corpus: minimized crashing inputs under <c>regressions/&lt;reader&gt;/</c>, one file
/// per case (the plain file for single-file readers, a <c>.case</c> container otherwise), replayed by
/// the tests. Also writes new findings of a run.
/// </summary>
internal static class Regressions
{
    /// <summary>Every stored case under <paramref name="root"/>: (reader, file), sorted.</summary>
    public static IEnumerable<(FuzzTarget Target, string Path)> Files(string root)
    {
        foreach (var t in Targets.All)
        {
            var dir = Path.Combine(root, t.Name);
            if (!Directory.Exists(dir)) continue;
            foreach (var f in Directory.GetFiles(dir).Where(f => !f.EndsWith(".txt", StringComparison.Ordinal) && !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
                yield return (t, f);
        }
    }

    public static FuzzInput Load(FuzzTarget target, string path) => FuzzInput.FromFileBytes(File.ReadAllBytes(path), target.Parts);

    /// <summary>Replays one stored case.</summary>
    public static CaseResult Replay(FuzzTarget target, string path, string scratch, Limits? limits = null) =>
        Oracle.Run(target, Load(target, path), scratch, limits ?? new Limits());

    /// <summary>A file-name-safe slug of a signature.</summary>
    public static string Slug(string signature)
    {
        var sb = new StringBuilder();
        foreach (char c in signature)
        {
            if (char.IsAsciiLetterOrDigit(c)) sb.Append(c);
            else if (sb.Length > 0 && sb[^1] != '-') sb.Append('-');
        }
        var s = sb.ToString().Trim('-');
        return s.Length > 90 ? s[..90] : s;
    }

    /// <summary>Writes a finding (input + a .txt with the exception) into <paramref name="dir"/>/&lt;reader&gt;/; returns the input's path.</summary>
    public static string Save(string dir, FuzzTarget target, Finding f, ulong seed)
    {
        var folder = Path.Combine(dir, target.Name);
        Directory.CreateDirectory(folder);
        var name = string.Create(CultureInfo.InvariantCulture, $"{Slug(f.Signature)}-s{seed}-c{f.CaseIndex}");
        var path = Path.Combine(folder, name + (target.Parts == 1 ? target.Extension : ".case"));
        File.WriteAllBytes(path, f.Input.ToFileBytes());
        File.WriteAllText(Path.Combine(folder, name + ".txt"), string.Create(CultureInfo.InvariantCulture,
            $"reader: {target.Name}\nseed: {seed}\ncase: {f.CaseIndex}\ncount: {f.Count}\nsignature: {f.Signature}\n\n{f.Result.Exception}\n"));
        return path;
    }
}
