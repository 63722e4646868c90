namespace TensorGraph;

/// <summary>
/// What the linear-algebra op files share (a family file that defines no op): TF's
/// <c>math_ops.matmul</c> over matrices or batches of them and <c>linalg.adjoint</c> (a transpose
/// of the last two dims; real types only), for the gradients, and the batch walk of the kernels.
/// </summary>
internal static class LinalgCommon
{
    /// <summary><c>math_ops.matmul(a, b, adjoint_a, adjoint_b)</c>: MatMul for matrices, BatchMatMulV2 for batches.</summary>
    public static Output MatMul(Graph g, Output a, Output b, bool adjA = false, bool adjB = false)
    {
        int rank = RankOf(a, "matmul");
        return rank == 2 ? g.MatMul(a, b, adjA, adjB) : g.BatchMatMul(a, b, adjA, adjB);
    }

    /// <summary><c>linalg.adjoint(x)</c> for real x: the last two dims swapped.</summary>
    public static Output Adjoint(Graph g, Output x)
    {
        int rank = RankOf(x, "adjoint");
        var perm = Enumerable.Range(0, rank).ToArray();
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        return g.Transpose(x, perm);
    }

    private static int RankOf(Output x, string what)
    {
        if (!x.Shape.IsRankKnown) throw new UnimplementedException($"The gradient's {what} of '{x.Name}' needs a known rank");
        return x.Shape.Rank;
    }

    /// <summary>The number of matrices of a tensor [..., M, N].</summary>
    public static int Batches(ReadOnlySpan<int> dims)
    {
        int n = 1;
        for (int i = 0; i < dims.Length - 2; i++) n *= dims[i];
        return n;
    }
}
