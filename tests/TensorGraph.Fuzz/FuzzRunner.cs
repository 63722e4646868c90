using System.Diagnostics;

namespace TensorGraph.Fuzz;

/// <summary>Options of one fuzz run of one reader.</summary>
internal sealed record FuzzOptions
{
    public ulong Seed { get; init; } = 1;

    /// <summary>Number of cases to run (the bound used by tests: deterministic).</summary>
    public long Cases { get; init; } = 1000;

    /// <summary>Optional time bound for manual runs; null runs exactly <see cref="Cases"/> cases.</summary>
    public TimeSpan? MaxDuration { get; init; }

    public Limits Limits { get; init; } = new();

    /// <summary>A case still running after this long is reported as hung and the run stops.</summary>
    public TimeSpan HangAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Fixture root (../shared/fixtures/tensorflow) or null.</summary>
    public string? Fixtures { get; init; }

    /// <summary>Also run the seeds themselves before the mutated cases.</summary>
    public bool RunSeeds { get; init; } = true;

    /// <summary>Progress lines (every few seconds) or null.</summary>
    public Action<string>? Progress { get; init; }
}

/// <summary>A distinct finding of a run: its first input and how often its signature came up.</summary>
internal sealed class Finding(string signature, FuzzInput input, CaseResult result, long caseIndex)
{
    public string Signature { get; } = signature;
    public FuzzInput Input { get; set; } = input;
    public CaseResult Result { get; } = result;
    public long CaseIndex { get; } = caseIndex;
    public long Count { get; set; } = 1;
}

/// <summary>What a run did.</summary>
internal sealed class FuzzReport(string reader)
{
    public string Reader { get; } = reader;
    public long Cases { get; set; }
    public long Accepted { get; set; }
    public long TypedErrors { get; set; }
    public long KnownCount { get; set; }
    public TimeSpan Elapsed { get; set; }
    public long MaxAllocated { get; set; }
    public bool Hung { get; set; }
    public Dictionary<string, Finding> Findings { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Finding> Known { get; } = new(StringComparer.Ordinal);

    public double CasesPerSecond => Elapsed.TotalSeconds > 0 ? Cases / Elapsed.TotalSeconds : 0;

    public string Summary() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Reader}: {Cases} cases in {Elapsed.TotalSeconds:F1} s ({CasesPerSecond:F0}/s), accepted {Accepted}, typed errors {TypedErrors}, " +
        $"findings {Findings.Count} distinct ({Findings.Values.Sum(f => f.Count)} cases), known {Known.Count} distinct ({KnownCount} cases), max case allocation {MaxAllocated >> 20} MB{(Hung ? ", HUNG" : "")}");
}

/// <summary>
/// Runs a target over its seeds and then <see cref="FuzzOptions.Cases"/> mutated cases, each from
/// <see cref="Rng.ForCase"/>. Cases run on one worker thread (with a large stack); the calling
/// thread watches it and stops the run when a case hangs.
/// </summary>
internal static class FuzzRunner
{
    public static FuzzReport Run(FuzzTarget target, FuzzOptions options, string scratch)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        Directory.CreateDirectory(scratch);
        var report = new FuzzReport(target.Name);
        var corpus = target.Seeds(options.Fixtures, Path.Combine(scratch, "seeds"));
        if (corpus.Count == 0) throw new InvalidOperationException($"Reader {target.Name} has no seeds");
        var caseDir = Path.Combine(scratch, "case");
        long started = 0; // Stopwatch ticks of the running case's start, 0 when idle
        FuzzInput? current = null;
        long currentIndex = -1;
        bool stop = false;
        var sw = Stopwatch.StartNew();
        Exception? crash = null;

        void Record(CaseResult r, FuzzInput input, long index)
        {
            report.Cases++;
            report.MaxAllocated = Math.Max(report.MaxAllocated, r.AllocatedBytes);
            switch (r.Verdict)
            {
                case Verdict.Accepted: report.Accepted++; break;
                case Verdict.TypedError: report.TypedErrors++; break;
                case Verdict.Known:
                    report.KnownCount++;
                    Add(report.Known, r, input, index);
                    break;
                default:
                    Add(report.Findings, r, input, index);
                    break;
            }
        }

        void Work()
        {
            try
            {
                long total = (options.RunSeeds ? corpus.Count : 0) + options.Cases;
                long lastProgress = sw.ElapsedMilliseconds;
                for (long i = 0; i < total && !Volatile.Read(ref stop); i++)
                {
                    if (options.MaxDuration is { } d && sw.Elapsed > d) break;
                    long caseIndex = options.RunSeeds ? i - corpus.Count : i;
                    var input = caseIndex < 0 ? corpus[(int)(caseIndex + corpus.Count)] : target.Mutate(corpus, Rng.ForCase(options.Seed, caseIndex));
                    Volatile.Write(ref current, input);
                    Volatile.Write(ref currentIndex, caseIndex);
                    Volatile.Write(ref started, Math.Max(1, Stopwatch.GetTimestamp()));
                    var r = Oracle.Run(target, input, caseDir, options.Limits);
                    Volatile.Write(ref started, 0);
                    lock (report) Record(r, input, caseIndex);
                    if (options.Progress is not null && sw.ElapsedMilliseconds - lastProgress > 10000)
                    {
                        lastProgress = sw.ElapsedMilliseconds;
                        lock (report)
                        {
                            report.Elapsed = sw.Elapsed;
                            options.Progress(report.Summary());
                        }
                    }
                }
            }
            catch (Exception e)
            {
                crash = e; // a harness bug (mutator, file system): surfaced to the caller
            }
        }

        var worker = new Thread(Work, 256 << 20) { IsBackground = true, Name = "fuzz-" + target.Name };
        worker.Start();
        while (!worker.Join(200))
        {
            long s = Volatile.Read(ref started);
            if (s != 0 && Stopwatch.GetElapsedTime(s) > options.HangAfter)
            {
                Volatile.Write(ref stop, true);
                lock (report)
                {
                    report.Hung = true;
                    var input = Volatile.Read(ref current)!;
                    var r = new CaseResult(Verdict.Finding, "hang: case did not finish", null, 0, Stopwatch.GetElapsedTime(s));
                    Add(report.Findings, r, input, Volatile.Read(ref currentIndex));
                    report.Cases++;
                }
                break; // the worker is abandoned (a background thread); the process should exit soon
            }
        }
        report.Elapsed = sw.Elapsed;
        if (crash is not null) throw new InvalidOperationException($"The fuzz harness failed on reader {target.Name}", crash);
        return report;
    }

    private static void Add(Dictionary<string, Finding> into, CaseResult r, FuzzInput input, long index)
    {
        if (into.TryGetValue(r.Signature, out var f)) f.Count++;
        else into[r.Signature] = new Finding(r.Signature, input, r, index);
    }
}
