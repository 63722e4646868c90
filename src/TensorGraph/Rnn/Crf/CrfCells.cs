using System.Numerics;

namespace TensorGraph.Rnn;

/// <summary>
/// TF 1.15's <c>tf.contrib.crf.CrfForwardRnnCell</c>: one step of the forward algorithm of a
/// linear-chain CRF. The state is the alphas [batch, num_tags]; a step computes
/// <c>inputs + reduce_logsumexp(ExpandDims(state, 2) + transitions[None], [1])</c> and returns
/// it as both output and new state. The cell has no variables and, as in TF, opens no name
/// scope of its own (its ops are named in the loop's scope: <c>rnn/while/ExpandDims</c>, …).
/// </summary>
public sealed class CrfForwardRnnCell : CrfTransitionCell
{
    /// <summary>
    /// Creates the cell for the [num_tags, num_tags] <paramref name="transitionParams"/>, which
    /// is expanded to [1, num_tags, num_tags] here, where the cell is made (TF's constructor).
    /// </summary>
    public CrfForwardRnnCell(Output transitionParams) : base(transitionParams, "crf_forward_rnn_cell")
    {
    }

    /// <inheritdoc/>
    protected override (Output Output, Output[] State) Step(Graph graph, Output input, Output[] state)
    {
        var transitionScores = TransitionScores(graph, state[0]);
        var newAlphas = input + graph.ReduceLogSumExp(transitionScores, [1]);
        return (newAlphas, [newAlphas]);
    }
}

/// <summary>
/// What the forward-algorithm and Viterbi cells share: the transitions expanded to
/// [1, num_tags, num_tags] when the cell is made, num_tags outputs and one num_tags state, no
/// variables, and a step's <c>ExpandDims(state, 2) + transitions</c>.
/// </summary>
public abstract class CrfTransitionCell : RnnCell
{
    private readonly Output _transitionParams;

    /// <summary>Expands the [num_tags, num_tags] <paramref name="transitionParams"/> to [1, N, N] (TF's constructors).</summary>
    protected CrfTransitionCell(Output transitionParams, string name) : base(name)
    {
        NumTags = Crf.StaticNumTags(transitionParams);
        _transitionParams = transitionParams.Graph.ExpandDims(transitionParams, 0);
    }

    /// <summary>The number of tags.</summary>
    public int NumTags { get; }

    /// <inheritdoc/>
    public override int OutputSize => NumTags;

    /// <inheritdoc/>
    public override IReadOnlyList<int> StateSizes => [NumTags];

    /// <inheritdoc/>
    protected override void Build(Graph graph, string scope, int inputDepth, DType dtype)
    {
    }

    /// <summary><c>ExpandDims(state, 2) + transitions</c>: [batch, from, to] scores of every transition.</summary>
    protected Output TransitionScores(Graph graph, Output state) => graph.ExpandDims(state, 2) + _transitionParams;
}

/// <summary>
/// TF 1.15's <c>tf.contrib.crf.CrfDecodeForwardRnnCell</c>: one Viterbi step. The state is the
/// best scores [batch, num_tags]; a step returns the backpointers
/// <c>Cast(ArgMax(scores, 1), int32)</c> as its output and <c>inputs + Max(scores, [1])</c> as
/// the new state, where <c>scores = ExpandDims(state, 2) + transitions[None]</c>.
/// </summary>
public sealed class CrfDecodeForwardRnnCell : CrfTransitionCell
{
    /// <summary>Creates the cell for the [num_tags, num_tags] <paramref name="transitionParams"/> (expanded to [1, N, N] here).</summary>
    public CrfDecodeForwardRnnCell(Output transitionParams) : base(transitionParams, "crf_decode_forward_rnn_cell")
    {
    }

    /// <inheritdoc/>
    protected override (Output Output, Output[] State) Step(Graph graph, Output input, Output[] state)
    {
        var transitionScores = TransitionScores(graph, state[0]);
        var newState = input + graph.ReduceMax(transitionScores, [1]);
        var backpointers = graph.Cast(graph.ArgMax(transitionScores, 1), DType.Int32);
        return (backpointers, [newState]);
    }
}

/// <summary>
/// TF 1.15's <c>tf.contrib.crf.CrfDecodeBackwardRnnCell</c>: one step of the Viterbi
/// backtrack. The input is the next step's backpointers [batch, num_tags] (int32), the state
/// the next step's tag [batch, 1]; a step returns <c>ExpandDims(GatherNd(inputs,
/// Stack([range(batch), Squeeze(state, [1])], 1)), -1)</c> as output and new state.
/// </summary>
public sealed class CrfDecodeBackwardRnnCell : RnnCell
{
    /// <summary>Creates the cell for <paramref name="numTags"/> tags.</summary>
    public CrfDecodeBackwardRnnCell(int numTags) : base("crf_decode_backward_rnn_cell")
    {
        if (numTags <= 0) throw new InvalidArgumentException($"num_tags must be positive, got {numTags}");
        NumTags = numTags;
    }

    /// <summary>The number of tags.</summary>
    public int NumTags { get; }

    /// <inheritdoc/>
    public override int OutputSize => 1;

    /// <inheritdoc/>
    public override IReadOnlyList<int> StateSizes => [1];

    /// <inheritdoc/>
    protected override void Build(Graph graph, string scope, int inputDepth, DType dtype)
    {
    }

    /// <inheritdoc/>
    protected override (Output Output, Output[] State) Step(Graph graph, Output input, Output[] state)
    {
        var s = graph.Squeeze(state[0], [1]);
        var batchSize = graph.ShapeOf(input).Slice(0);
        var bIndices = Crf.RangeTo(graph, batchSize);
        var indices = graph.Stack([bIndices, s], axis: 1);
        var newTags = graph.ExpandDims(graph.GatherNd(input, indices), -1);
        return (newTags, [newTags]);
    }
}

/// <summary>
/// The host side of TF 1.15's <c>tf.contrib.crf</c>: <see cref="ViterbiDecode(float[,], float[,])"/>,
/// TF's numpy <c>viterbi_decode</c>. The graph functions are methods of <see cref="Graph"/>
/// (<see cref="Graph.CrfLogLikelihood"/>, <see cref="Graph.CrfDecode"/>, …).
/// </summary>
public static class Crf
{
    /// <summary>
    /// TF's <c>viterbi_decode(score, transition_params)</c>, outside any graph: the highest
    /// scoring tag sequence for unary potentials <paramref name="score"/> [seq_len, num_tags]
    /// and <paramref name="transitionParams"/> [num_tags, num_tags], with its score. Ties go
    /// to the lowest tag index (numpy's argmax).
    /// </summary>
    public static (int[] Viterbi, float ViterbiScore) ViterbiDecode(float[,] score, float[,] transitionParams) =>
        Viterbi(score, transitionParams);

    /// <summary><see cref="ViterbiDecode(float[,], float[,])"/> in double precision.</summary>
    public static (int[] Viterbi, double ViterbiScore) ViterbiDecode(double[,] score, double[,] transitionParams) =>
        Viterbi(score, transitionParams);

    private static (int[] Viterbi, T Score) Viterbi<T>(T[,] score, T[,] transitionParams) where T : INumber<T>
    {
        ArgumentNullException.ThrowIfNull(score);
        ArgumentNullException.ThrowIfNull(transitionParams);
        int seqLen = score.GetLength(0), numTags = score.GetLength(1);
        if (seqLen == 0) throw new InvalidArgumentException("viterbi_decode needs a score of at least one step, got shape [0, " + numTags + "]");
        if (transitionParams.GetLength(0) != numTags || transitionParams.GetLength(1) != numTags)
            throw new InvalidArgumentException(
                $"transition_params must be [{numTags}, {numTags}] for a score of shape [{seqLen}, {numTags}], got [{transitionParams.GetLength(0)}, {transitionParams.GetLength(1)}]");
        var trellis = new T[seqLen, numTags];
        var backpointers = new int[seqLen, numTags];
        for (int j = 0; j < numTags; j++) trellis[0, j] = score[0, j];
        for (int t = 1; t < seqLen; t++)
        {
            for (int j = 0; j < numTags; j++)
            {
                // v[i, j] = trellis[t - 1, i] + transition[i, j]; max and argmax over i.
                T best = trellis[t - 1, 0] + transitionParams[0, j];
                int arg = 0;
                for (int i = 1; i < numTags; i++)
                {
                    var v = trellis[t - 1, i] + transitionParams[i, j];
                    if (v > best || (T.IsNaN(v) && !T.IsNaN(best)))
                    {
                        best = v;
                        arg = i;
                    }
                }
                trellis[t, j] = score[t, j] + best;
                backpointers[t, j] = arg;
            }
        }
        int last = 0;
        for (int j = 1; j < numTags; j++)
            if (trellis[seqLen - 1, j] > trellis[seqLen - 1, last]) last = j;
        var viterbi = new int[seqLen];
        viterbi[seqLen - 1] = last;
        for (int t = seqLen - 1; t > 0; t--) viterbi[t - 1] = backpointers[t, viterbi[t]];
        return (viterbi, trellis[seqLen - 1, last]);
    }

    /// <summary>The static number of tags of a [num_tags, num_tags] transition matrix.</summary>
    internal static int StaticNumTags(Output transitionParams)
    {
        if (transitionParams.Op is null) throw new InvalidArgumentException("transition_params is a default (unset) Output");
        var s = transitionParams.Shape;
        if (s.IsRankKnown && s.Rank != 2)
            throw new InvalidArgumentException($"transition_params must be [num_tags, num_tags], but '{transitionParams.Name}' has shape {s}");
        if (!s.IsRankKnown || s[0] < 0)
            throw new InvalidArgumentException($"The CRF cells need the number of tags statically: '{transitionParams.Name}' has shape {s}");
        return s[0];
    }

    /// <summary>TF's <c>math_ops.range(limit)</c>: Range(0, limit, 1) under the name scope <c>range</c>.</summary>
    internal static Output RangeTo(Graph g, Output limit)
    {
        using var scope = g.NameScope("range");
        var exact = g.CurrentNameScope + "/";
        return g.Range(g.Constant(Graph.ScalarOf(limit.DType, 0), name: "start"), limit, g.Constant(Graph.ScalarOf(limit.DType, 1), name: "delta"), exact);
    }
}
