using System.Globalization;

namespace TensorGraph.Fuzz;

/// <summary>
/// <c>dotnet run -c Release --project tests/TensorGraph.Fuzz -- --reader graphdef --cases 1000000 --seed 1</c>.
/// Options: <c>--reader NAME|all</c>, <c>--cases N</c>, <c>--seconds S</c> (time bound instead of or
/// besides the count), <c>--seed N</c>, <c>--out DIR</c> (new findings, minimized; default
/// <c>fuzz-findings</c>), <c>--no-minimize</c>, <c>--fixtures DIR</c>, <c>--replay DIR</c> (replay a
/// regression folder), <c>--minimize FILE</c> (shrink one stored case of <c>--reader</c> into <c>--out</c>; with <c>--match TEXT</c>, keeping an outcome that mentions TEXT), <c>--case N</c> (regenerate, run and store only case N of <c>--seed</c>), <c>--list</c>. Exit code 0 without new findings, 1 with, 2 on bad arguments.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        try
        {
            return Run(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine("fuzz: " + e.Message);
            return 2;
        }
    }

    private static int Run(string[] args)
    {
        string reader = "all", outDir = "fuzz-findings";
        string? fixtures = null, replay = null, shrink = null, match = null;
        long? single = null;
        long cases = 10000;
        double? seconds = null;
        ulong seed = 1;
        bool minimize = true;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--reader": reader = Value(); break;
                case "--cases": cases = long.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--seed": seed = ulong.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--out": outDir = Value(); break;
                case "--fixtures": fixtures = Value(); break;
                case "--replay": replay = Value(); break;
                case "--minimize": shrink = Value(); break;
                case "--match": match = Value(); break;
                case "--case": single = long.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--no-minimize": minimize = false; break;
                case "--list":
                    foreach (var t in Targets.All) Console.WriteLine(t.Name);
                    return 0;
                default: throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        fixtures ??= Paths.FindFixtures(AppContext.BaseDirectory) ?? Paths.FindFixtures(Environment.CurrentDirectory);
        var scratch = Paths.Scratch("cli-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var targets = reader == "all" ? Targets.All : [Targets.Get(reader)];
        try
        {
            if (single is not null) return One(Targets.Get(reader), seed, single.Value, fixtures, outDir, minimize, scratch);
            if (shrink is not null) return Shrink(Targets.Get(reader), shrink, match, outDir, scratch);
            return replay is not null ? Replay(replay, scratch) : Fuzz(targets, seed, cases, seconds, fixtures, outDir, minimize, scratch);
        }
        finally
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    // Regenerates case `index` of a run with `seed` (no need to run the cases before it), runs it and
    // stores it (minimized) when it is a finding or a known issue.
    private static int One(FuzzTarget t, ulong seed, long index, string? fixtures, string outDir, bool minimize, string scratch)
    {
        var corpus = t.Seeds(fixtures, Path.Combine(scratch, "seeds"));
        var input = t.Mutate(corpus, Rng.ForCase(seed, index));
        var r = Oracle.Run(t, input, Path.Combine(scratch, "case"), new Limits());
        Console.WriteLine($"{r.Verdict}: {r.Describe()}");
        if (r.Verdict is not (Verdict.Finding or Verdict.Known)) return 0;
        var f = new Finding(r.Signature, input, r, index);
        if (minimize) f.Input = Minimizer.Minimize(t, input, r.Signature, Path.Combine(scratch, "min"), new Limits());
        Console.WriteLine($"minimized {input.TotalLength} -> {f.Input.TotalLength} bytes: {Regressions.Save(outDir, t, f, seed)}");
        return 1;
    }

    // Minimizes one stored case of one reader into outDir (same name).
    // With match: keep the outcome whose description contains that text (to shrink a case whose fix is in already).
    private static int Shrink(FuzzTarget t, string path, string? match, string outDir, string scratch)
    {
        var input = Regressions.Load(t, path);
        var r = Oracle.Run(t, input, scratch, new Limits());
        Console.WriteLine($"{r.Verdict}: {r.Describe()}");
        if (match is null && r.Verdict is not (Verdict.Finding or Verdict.Known)) return 0;
        var min = match is null
            ? Minimizer.Minimize(t, input, r.Signature, scratch, new Limits())
            : Minimizer.Minimize(t, input, x => x.Describe().Contains(match, StringComparison.Ordinal), scratch, new Limits());
        Directory.CreateDirectory(outDir);
        var dest = Path.Combine(outDir, Path.GetFileName(path));
        File.WriteAllBytes(dest, min.ToFileBytes());
        Console.WriteLine($"minimized {input.TotalLength} -> {min.TotalLength} bytes: {dest}");
        return 1;
    }

    private static int Replay(string root, string scratch)
    {
        int bad = 0;
        foreach (var (t, path) in Regressions.Files(root))
        {
            if (KnownIssues.FileReason(t.Name, path) is { } why)
            {
                Console.WriteLine($"{"known",-10} {t.Name,-10} {Path.GetFileName(path)}: not run ({why})");
                continue;
            }
            var r = Regressions.Replay(t, path, Path.Combine(scratch, t.Name));
            if (r.Verdict == Verdict.Finding) bad++;
            Console.WriteLine($"{r.Verdict,-10} {t.Name,-10} {Path.GetFileName(path)}: {r.Describe()}");
        }
        return bad == 0 ? 0 : 1;
    }

    private static int Fuzz(IReadOnlyList<FuzzTarget> targets, ulong seed, long cases, double? seconds, string? fixtures, string outDir, bool minimize, string scratch)
    {
        Console.WriteLine($"fixtures: {fixtures ?? "(not found: generated seeds only)"}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");
        int newFindings = 0;
        foreach (var t in targets)
        {
            var options = new FuzzOptions
            {
                Seed = seed,
                Cases = seconds is not null && cases == 10000 ? long.MaxValue : cases,
                MaxDuration = seconds is { } s ? TimeSpan.FromSeconds(s) : null,
                Fixtures = fixtures,
                Progress = line => Console.WriteLine("  " + line),
            };
            var dir = Path.Combine(scratch, t.Name);
            var report = FuzzRunner.Run(t, options, dir);
            Console.WriteLine(report.Summary());
            foreach (var f in report.Known.Values)
                Console.WriteLine($"  known   {f.Count,8}x {f.Signature} (case {f.CaseIndex}): {f.Result.Known}");
            foreach (var f in report.Findings.Values)
            {
                Console.WriteLine($"  FINDING {f.Count,8}x {f.Result.Describe()} (case {f.CaseIndex})");
                if (minimize && !report.Hung)
                {
                    int before = f.Input.TotalLength;
                    f.Input = Minimizer.Minimize(t, f.Input, f.Signature, Path.Combine(dir, "min"), options.Limits);
                    Console.WriteLine($"          minimized {before} -> {f.Input.TotalLength} bytes");
                }
                Console.WriteLine($"          saved {Regressions.Save(outDir, t, f, seed)}");
                newFindings++;
            }
            if (report.Hung) break; // the hung case's thread is still running: stop here
        }
        return newFindings == 0 ? 0 : 1;
    }
}

/// <summary>Where the fixtures and scratch folders are.</summary>
internal static class Paths
{
    /// <summary>../shared/fixtures/tensorflow next to the repository that holds <paramref name="start"/>, or null.</summary>
    public static string? FindFixtures(string start)
    {
        var repo = FindRepo(start);
        if (repo is null) return null;
        var f = Path.GetFullPath(Path.Combine(repo, "..", "shared", "fixtures", "tensorflow"));
        return Directory.Exists(f) ? f : null;
    }

    /// <summary>The folder holding Graph.sln at or above <paramref name="start"/>, or null.</summary>
    public static string? FindRepo(string start)
    {
        for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Graph.sln"))) return d.FullName;
        return null;
    }

    /// <summary>A fresh scratch folder, in memory (/dev/shm) when the system has one.</summary>
    public static string Scratch(string name)
    {
        var root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var p = Path.Combine(root, "tensorgraph-fuzz", name);
        Directory.CreateDirectory(p);
        return p;
    }
}
