using TensorGraph.Fuzz;
using TensorGraph.Tests.Serialization;

namespace TensorGraph.Tests.Fuzz;

/// <summary>
/// A bounded fuzz run of every reader (fixed seed, fixed number of cases: deterministic), asserting
/// that no input makes a reader fail with anything but a typed error. Long runs are done by hand
/// with the TensorGraph.Fuzz console (docs/FUZZING.md).
/// </summary>
[TestFixture]
[Category("Fuzz")]
public class FuzzTests
{
    // Cases per reader: a few seconds each on a loaded two-core machine in Debug.
    private static readonly (string Reader, int Cases)[] Budget =
    [
        ("graphdef", 500), ("pbtxt", 600), ("meta", 500), ("savedmodel", 120),
        ("checkpoint", 800), ("events", 800), ("npy", 2000), ("idx", 2000),
    ];

    private static IEnumerable<TestCaseData> Readers() =>
        Budget.Select(b => new TestCaseData(b.Reader, b.Cases).SetName($"Fuzz_{b.Reader}_has_no_findings"));

    private string _scratch = "";

    [SetUp]
    public void SetUp() => _scratch = Path.Combine(Path.GetTempPath(), "tensorgraph-fuzz-tests", Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        try
        {
            if (Directory.Exists(_scratch)) Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [TestCaseSource(nameof(Readers))]
    public void Reader_has_no_findings(string reader, int cases)
    {
        var target = Targets.Get(reader);
        var report = FuzzRunner.Run(target, new FuzzOptions
        {
            Seed = 20261201,
            Cases = cases,
            Fixtures = Fixtures.Root,
            // Generous limits: the bound run must never fail because the machine is busy.
            Limits = new Limits(MaxAllocatedBytes: 384L << 20, MaxSeconds: 30),
            HangAfter = TimeSpan.FromMinutes(2),
        }, _scratch);
        TestContext.Out.WriteLine(report.Summary());
        foreach (var k in report.Known.Values) TestContext.Out.WriteLine($"known: {k.Count}x {k.Signature}: {k.Result.Known}");
        var findings = string.Join("\n", report.Findings.Values.Select(f => $"{f.Count}x case {f.CaseIndex}: {f.Result.Describe()}\n{f.Result.Exception}"));
        Assert.That(report.Findings, Is.Empty, findings);
        Assert.That(report.Cases, Is.EqualTo(cases + target.Seeds(Fixtures.Root, Path.Combine(_scratch, "count")).Count));
        // The seeds themselves are valid files: every reader accepts some cases.
        Assert.That(report.Accepted, Is.GreaterThan(0));
    }

    [Test]
    public void Every_seed_of_every_reader_is_read()
    {
        foreach (var t in Targets.All)
        {
            var seeds = t.Seeds(Fixtures.Root, Path.Combine(_scratch, t.Name, "seeds"));
            Assert.That(seeds, Is.Not.Empty, t.Name);
            int accepted = 0;
            for (int i = 0; i < seeds.Count; i++)
            {
                var r = Oracle.Run(t, seeds[i], Path.Combine(_scratch, t.Name, "case"), new Limits(MaxSeconds: 60));
                // TF1 export.meta uses the V1 checkpoint ops (SaveSlices), which TensorGraph refuses with a typed error.
                Assert.That(r.Verdict, Is.AnyOf(Verdict.Accepted, Verdict.TypedError), $"{t.Name} seed {i}: {r.Describe()}");
                if (r.Verdict == Verdict.Accepted) accepted++;
            }
            Assert.That(accepted, Is.GreaterThanOrEqualTo(seeds.Count - 1), $"{t.Name}: {accepted} of {seeds.Count} seeds accepted");
        }
    }
}

/// <summary>Replays the minimized crashing inputs kept under tests/TensorGraph.Fuzz/regressions.</summary>
[TestFixture]
[Category("Fuzz")]
public class FuzzRegressionTests
{
    private static string RegressionRoot => Path.Combine(Fixtures.RepoRoot, "tests", "TensorGraph.Fuzz", "regressions");

    private static IEnumerable<TestCaseData> Readers() => Targets.All.Select(t => new TestCaseData(t.Name).SetName($"Regressions_{t.Name}_replay_with_typed_errors"));

    [TestCaseSource(nameof(Readers))]
    public void Regressions_replay_with_typed_errors(string reader)
    {
        var target = Targets.Get(reader);
        var scratch = Path.Combine(Path.GetTempPath(), "tensorgraph-fuzz-tests", Guid.NewGuid().ToString("N"));
        try
        {
            var failures = new List<string>();
            int n = 0;
            foreach (var (t, path) in Regressions.Files(RegressionRoot).Where(f => f.Target == target))
            {
                n++;
                if (KnownIssues.FileReason(reader, path) is { } why)
                {
                    TestContext.Out.WriteLine($"known, not run: {Path.GetFileName(path)}: {why}");
                    continue;
                }
                var r = Regressions.Replay(t, path, scratch, new Limits(MaxSeconds: 30));
                TestContext.Out.WriteLine($"{r.Verdict} {Path.GetFileName(path)}: {r.Describe()}");
                if (r.Verdict == Verdict.Finding) failures.Add($"{Path.GetFileName(path)}: {r.Describe()}\n{r.Exception}");
            }
            TestContext.Out.WriteLine($"{n} regression case(s) for {reader}");
            Assert.That(failures, Is.Empty, string.Join("\n\n", failures));
        }
        finally
        {
            if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }
    }
}

/// <summary>The list of known regression files names files that exist.</summary>
[TestFixture]
[Category("Fuzz")]
public class FuzzKnownIssueTests
{
    [Test]
    public void Known_regression_files_exist()
    {
        var root = Path.Combine(Fixtures.RepoRoot, "tests", "TensorGraph.Fuzz", "regressions");
        foreach (var name in KnownIssues.Files.Keys)
            Assert.That(File.Exists(Path.Combine(root, name)), Is.True, name);
    }
}

/// <summary>The harness itself: determinism, the case container, the minimizer.</summary>
[TestFixture]
public class FuzzHarnessTests
{
    [Test]
    public void Cases_are_reproducible_from_seed_and_index()
    {
        var t = Targets.Get("graphdef");
        var scratch = Path.Combine(Path.GetTempPath(), "tensorgraph-fuzz-tests", Guid.NewGuid().ToString("N"));
        var corpus = t.Seeds(null, scratch);
        for (int i = 0; i < 50; i++)
        {
            var a = t.Mutate(corpus, Rng.ForCase(7, i)).ToFileBytes();
            var b = t.Mutate(corpus, Rng.ForCase(7, i)).ToFileBytes();
            Assert.That(a, Is.EqualTo(b), $"case {i}");
        }
        Assert.That(t.Mutate(corpus, Rng.ForCase(7, 1)).ToFileBytes(), Is.Not.EqualTo(t.Mutate(corpus, Rng.ForCase(8, 1)).ToFileBytes()));
    }

    [Test]
    public void Multi_part_cases_round_trip_through_the_container()
    {
        var input = new FuzzInput(new byte[] { 1, 2, 3 }, Array.Empty<byte>(), new byte[] { 9 });
        var back = FuzzInput.FromFileBytes(input.ToFileBytes(), 3);
        Assert.That(back.Parts, Is.EqualTo(input.Parts));
        Assert.Throws<InvalidDataException>(() => FuzzInput.FromFileBytes([1, 2, 3], 2));
    }

    [Test]
    public void Byte_mutations_cover_interesting_varints()
    {
        var rng = new Rng(3);
        bool sawLong = false;
        for (int i = 0; i < 2000 && !sawLong; i++) sawLong = ByteMutator.Mutate(new byte[8], rng, null).Length >= 17; // a 10-byte varint
        Assert.That(sawLong, Is.True);
        Assert.That(ByteMutator.EncodeVarint(ulong.MaxValue), Has.Length.EqualTo(10));
    }

    [Test]
    public void Minimizer_shrinks_to_the_bytes_that_trigger_the_finding()
    {
        var target = new NeedleTarget();
        var input = new FuzzInput(new byte[300].Concat("BUG"u8.ToArray()).Concat(new byte[200]).ToArray());
        var scratch = Path.GetTempPath();
        var r = Oracle.Run(target, input, scratch, new Limits());
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Finding));
        var min = Minimizer.Minimize(target, input, r.Signature, scratch, new Limits());
        Assert.That(min.Parts[0], Is.EqualTo("BUG"u8.ToArray()));
    }

    [Test]
    public void Typed_errors_pass_and_other_exceptions_are_findings()
    {
        var target = new NeedleTarget();
        Assert.That(Oracle.Run(target, new FuzzInput(new byte[] { 1, 2 }), Path.GetTempPath(), new Limits()).Verdict, Is.EqualTo(Verdict.TypedError));
        Assert.That(Oracle.Run(target, new FuzzInput(Array.Empty<byte>()), Path.GetTempPath(), new Limits()).Verdict, Is.EqualTo(Verdict.Accepted));
        var big = Oracle.Run(target, new FuzzInput("MEM"u8.ToArray()), Path.GetTempPath(), new Limits(MaxAllocatedBytes: 1 << 20));
        Assert.That(big.Verdict, Is.EqualTo(Verdict.Finding));
        Assert.That(big.Signature, Does.StartWith("memory"));
    }

    // Fails with IndexOutOfRange when the input contains "BUG", allocates 8 MB for "MEM", refuses other non-empty input.
    private sealed class NeedleTarget : FuzzTarget
    {
        public override string Name => "needle";
        public override string Extension => ".bin";
        public override IReadOnlyList<FuzzInput> Seeds(string? fixtures, string scratch) => [new FuzzInput(Array.Empty<byte>())];

        public override void Execute(FuzzInput input, string scratch)
        {
            var d = input.Parts[0];
            if (d.AsSpan().IndexOf("BUG"u8) >= 0) throw new IndexOutOfRangeException("needle");
            if (d.AsSpan().SequenceEqual("MEM"u8))
            {
                GC.KeepAlive(new byte[8 << 20]);
                return;
            }
            if (d.Length > 0) throw new DataLossException("not empty");
        }
    }
}
