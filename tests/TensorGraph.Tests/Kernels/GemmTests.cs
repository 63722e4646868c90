using System.Numerics;
using TensorGraph.Kernels;

namespace TensorGraph.Tests.Kernels;

[NonParallelizable]
public class GemmTests
{
    private static readonly GemmIsa?[] Isas = [null, GemmIsa.Avx2, GemmIsa.Vector128, GemmIsa.Scalar];

    // M, K, N: degenerate, odd, multi-block (several KC slices, several MC blocks, an NC block edge),
    // vector-matrix (few-rows path) and K = 1.
    private static readonly int[][] Sizes =
    [
        [1, 1, 1], [7, 13, 5], [129, 785, 513], [1, 784, 512], [3, 300, 1001], [1, 1100, 130], [3, 70, 41], [512, 1, 3], [4, 9, 33], [9, 8, 2100], [300, 1100, 70],
    ];

    private static IEnumerable<TestCaseData> Cases() =>
        from s in Sizes
        from ta in new[] { false, true }
        from tb in new[] { false, true }
        select new TestCaseData(s[0], s[1], s[2], ta, tb);

    [TearDown]
    public void Restore()
    {
        Gemm.ForcedIsa = null;
        Gemm.MaxThreads = Environment.ProcessorCount;
    }

    private static double[] Naive(double[] a, double[] b, int m, int k, int n, bool ta, bool tb)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                c[i * n + j] = s;
            }
        return c;
    }

    private static double[] Random(int count, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => r.NextDouble() - 0.5).ToArray();
    }

    private static T[] Run<T>(T[] a, T[] b, int m, int k, int n, bool ta, bool tb, GemmIsa? isa, int threads)
        where T : unmanaged, INumber<T>
    {
        Gemm.ForcedIsa = isa;
        Gemm.MaxThreads = threads;
        var c = new T[m * n];
        c.AsSpan().Fill(T.CreateTruncating(12345)); // every element must be overwritten
        Gemm.Multiply<T>(a, ta, b, tb, c, m, n, k, new GemmScratch());
        return c;
    }

    private static void AssertClose<T>(T[] got, double[] want, double tol, string what) where T : unmanaged, INumber<T>
    {
        Assert.That(got, Has.Length.EqualTo(want.Length), what);
        for (int i = 0; i < want.Length; i++)
        {
            double g = double.CreateTruncating(got[i]);
            if (!(Math.Abs(g - want[i]) <= tol)) Assert.Fail($"{what}: element {i} is {g}, expected {want[i]} (tolerance {tol})");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void MatchesNaiveOnEveryPath(int m, int k, int n, bool ta, bool tb)
    {
        var a = Random(m * k, m * 7 + k);
        var b = Random(k * n, n * 13 + k);
        var want = Naive(a, b, m, k, n, ta, tb);
        var af = a.Select(v => (float)v).ToArray();
        var bf = b.Select(v => (float)v).ToArray();
        foreach (var isa in Isas)
        {
            var f1 = Run(af, bf, m, k, n, ta, tb, isa, 1);
            AssertClose(f1, want, 2e-6 * k + 1e-6, $"float32 {isa?.ToString() ?? "best"}");
            var d1 = Run(a, b, m, k, n, ta, tb, isa, 1);
            AssertClose(d1, want, 1e-14 * k + 1e-15, $"float64 {isa?.ToString() ?? "best"}");
            foreach (int threads in new[] { 2, 3 })
            {
                Assert.That(Run(af, bf, m, k, n, ta, tb, isa, threads), Is.EqualTo(f1), $"float32 {isa} on {threads} threads");
                Assert.That(Run(a, b, m, k, n, ta, tb, isa, threads), Is.EqualTo(d1), $"float64 {isa} on {threads} threads");
            }
        }
    }

    [Test]
    public void EveryForcedPathIsTheOneUsed()
    {
        Gemm.ForcedIsa = GemmIsa.Scalar;
        Assert.That(Gemm.EffectiveIsa, Is.EqualTo(GemmIsa.Scalar));
        Gemm.ForcedIsa = GemmIsa.Vector128;
        Assert.That(Gemm.EffectiveIsa, Is.EqualTo(Gemm.HardwareIsa >= GemmIsa.Vector128 ? GemmIsa.Vector128 : GemmIsa.Scalar));
        Gemm.ForcedIsa = GemmIsa.Avx2;
        Assert.That(Gemm.EffectiveIsa, Is.EqualTo(Gemm.HardwareIsa >= GemmIsa.Avx2 ? GemmIsa.Avx2 : GemmIsa.Scalar));
        Gemm.ForcedIsa = null;
        Assert.That(Gemm.EffectiveIsa, Is.EqualTo(Gemm.HardwareIsa));
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported) Assert.Warn("AVX-512 is not available here: the 512-bit kernel was not exercised.");
    }

    [Test]
    public void OverwritesInsteadOfAccumulatingAcrossCalls()
    {
        var a = Random(40 * 30, 1).Select(v => (float)v).ToArray();
        var b = Random(30 * 50, 2).Select(v => (float)v).ToArray();
        var c = new float[40 * 50];
        var scratch = new GemmScratch();
        Gemm.Multiply<float>(a, false, b, false, c, 40, 50, 30, scratch);
        var first = c.ToArray();
        Gemm.Multiply<float>(a, false, b, false, c, 40, 50, 30, scratch);
        Assert.That(c, Is.EqualTo(first));
    }

    [Test]
    public void IntegerTypesUseTheReferencePath()
    {
        int[] a = [1, 2, 3, 4, 5, 6], b = [7, 8, 9, 10, 11, 12];
        var c = new int[4];
        Gemm.Multiply<int>(a, false, b, true, c, 2, 2, 3, new GemmScratch());
        Assert.That(c, Is.EqualTo(new[] { 1 * 7 + 2 * 8 + 3 * 9, 1 * 10 + 2 * 11 + 3 * 12, 4 * 7 + 5 * 8 + 6 * 9, 4 * 10 + 5 * 11 + 6 * 12 }));
    }

    [TestCase(128, 784, 512, false, false, 2)]
    [TestCase(128, 784, 512, true, true, 2)]
    [TestCase(784, 128, 512, false, true, 2)]
    [TestCase(33, 65, 17, true, false, 1)]
    [TestCase(1, 784, 512, true, false, 2)]
    [TestCase(2, 784, 512, false, true, 2)]
    public void WarmCallsAllocateNothing(int m, int k, int n, bool ta, bool tb, int threads)
    {
        Gemm.MaxThreads = threads;
        var a = new float[m * k];
        var b = new float[k * n];
        a.AsSpan().Fill(0.5f);
        b.AsSpan().Fill(0.25f);
        var c = new float[m * n];
        var scratch = new GemmScratch();
        for (int i = 0; i < 3; i++) Gemm.Multiply<float>(a, ta, b, tb, c, m, n, k, scratch);
        long beforeWorkers = GemmPool.WorkerAllocatedBytes;
        long caller = AllocationProbe.SteadyState(() => Gemm.Multiply<float>(a, ta, b, tb, c, m, n, k, scratch), 20);
        Gemm.Multiply<float>(a, ta, b, tb, c, m, n, k, scratch); // wakes the workers once more: they report what the calls cost
        long afterWorkers = GemmPool.WorkerAllocatedBytes;
        Assert.That(caller, Is.EqualTo(0), "bytes allocated by the calling thread in 20 warm calls");
        Assert.That(afterWorkers - beforeWorkers, Is.EqualTo(0), "bytes allocated by the GEMM worker threads");
        Assert.That(c[0], Is.EqualTo(0.125f * k));
    }

    /// <summary>
    /// A product sized for the pool, run while another thread holds the pool: it runs on the calling
    /// thread alone, with buffers sized for the whole product (they used to be sized for one part
    /// of a split product and were overrun). Fresh and warm scratch, both split directions.
    /// </summary>
    [TestCase(64, 784, 512, false, false)]
    [TestCase(64, 784, 512, true, true)]
    [TestCase(784, 64, 300, true, false)]
    [TestCase(600, 300, 40, false, true)]
    public void ProductsRunAloneWhenThePoolIsBusy(int m, int k, int n, bool ta, bool tb)
    {
        Gemm.MaxThreads = 2;
        var a = Random(m * k, 11);
        var b = Random(k * n, 12);
        var want = Naive(a, b, m, k, n, ta, tb);
        var af = a.Select(v => (float)v).ToArray();
        var bf = b.Select(v => (float)v).ToArray();
        var warm = new GemmScratch();
        var c = new float[m * n];
        Gemm.Multiply<float>(af, ta, bf, tb, c, m, n, k, warm); // sizes the split buffers
        AssertClose(c, want, 1e-3, "split");

        var gate = typeof(GemmPool).GetField("Gate", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            lock (gate)
            {
                held.Set();
                release.Wait();
            }
        });
        holder.Start();
        held.Wait();
        try
        {
            foreach (var scratch in new[] { warm, new GemmScratch() })
            {
                var alone = new float[m * n];
                alone.AsSpan().Fill(float.NaN);
                Gemm.Multiply<float>(af, ta, bf, tb, alone, m, n, k, scratch);
                Assert.That(alone, Is.EqualTo(c), "the single-threaded product equals the split one bit for bit");
            }
        }
        finally
        {
            release.Set();
            holder.Join();
        }
    }

    [Test]
    public void SessionMatMulAllocatesNothingInSteadyState()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 784], name: "x");
        var w = g.Constant(Tensor.Create(Random(784 * 512, 3).Select(v => (float)v).ToArray(), [784, 512]));
        var y = g.MatMul(x, w);
        using var s = new Session(g);
        var call = s.MakeCallable([x], [y]);
        var batch = Tensor.FromArray(new float[128, 784]);
        for (int i = 0; i < 5; i++) call.Run(batch);
        Assert.That(AllocationProbe.SteadyState(() => call.Run(batch), 20), Is.EqualTo(0));
    }
}
