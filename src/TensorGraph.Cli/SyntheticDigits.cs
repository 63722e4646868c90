using System.Globalization;

namespace TensorGraph.Cli;

/// <summary>
/// The model <c>tensorgraph worker</c> trains: an MNIST-shaped MLP classifier (8×8 "digits", 10
/// classes, one hidden ReLU layer) on reproducible synthetic data — each class a fixed random
/// prototype image, each example its prototype plus uniform noise.
/// </summary>
public sealed class SyntheticDigits
{
    /// <summary>Pixels per example.</summary>
    public const int Features = 64;
    /// <summary>Classes.</summary>
    public const int Classes = 10;
    /// <summary>Hidden units.</summary>
    public const int Hidden = 32;

    /// <summary>Builds the model in a new graph, with initial values drawn from <paramref name="seed"/>.</summary>
    public SyntheticDigits(int seed = 1)
    {
        G = new Graph();
        var r = new Random(seed);
        float[] Init(int n, double scale) => [.. Enumerable.Range(0, n).Select(_ => (float)((r.NextDouble() * 2 - 1) * scale))];
        X = G.Placeholder(DType.Float32, new Shape(-1, Features), "x");
        Labels = G.Placeholder(DType.Int64, new Shape(-1), "labels");
        W1 = G.Variable(Tensor.Create(Init(Features * Hidden, Math.Sqrt(6.0 / (Features + Hidden))), Features, Hidden), "hidden/kernel");
        B1 = G.Variable(Tensor.Create(new float[Hidden], Hidden), "hidden/bias");
        W2 = G.Variable(Tensor.Create(Init(Hidden * Classes, Math.Sqrt(6.0 / (Hidden + Classes))), Hidden, Classes), "logits/kernel");
        B2 = G.Variable(Tensor.Create(new float[Classes], Classes), "logits/bias");
        var h = G.Relu(G.MatMul(X, W1) + B1);
        var logits = G.MatMul(h, W2) + B2;
        Loss = G.ReduceMean(G.SparseSoftmaxCrossEntropyWithLogits(Labels, logits), name: "loss");
        Accuracy = G.ReduceMean(G.Cast(G.Equal(G.ArgMax(logits, 1), Labels), DType.Float32), name: "accuracy");
    }

    /// <summary>The graph.</summary>
    public Graph G { get; }
    /// <summary>Images, [batch, 64].</summary>
    public Output X { get; }
    /// <summary>Class ids, [batch].</summary>
    public Output Labels { get; }
    /// <summary>Hidden layer weights.</summary>
    public Variable W1 { get; }
    /// <summary>Hidden layer bias.</summary>
    public Variable B1 { get; }
    /// <summary>Output layer weights.</summary>
    public Variable W2 { get; }
    /// <summary>Output layer bias.</summary>
    public Variable B2 { get; }
    /// <summary>Mean cross-entropy.</summary>
    public Output Loss { get; }
    /// <summary>Fraction classified correctly.</summary>
    public Output Accuracy { get; }

    /// <summary>The model's variables.</summary>
    public Variable[] Variables => [W1, B1, W2, B2];

    /// <summary><paramref name="n"/> examples drawn from <paramref name="seed"/>: images [n·64] and labels [n].</summary>
    public static (float[] Images, long[] Labels) Data(int n, int seed = 7)
    {
        var r = new Random(seed);
        var protos = new float[Classes][];
        for (int c = 0; c < Classes; c++) protos[c] = [.. Enumerable.Range(0, Features).Select(_ => r.NextDouble() < 0.3 ? 1f : 0f)];
        var x = new float[n * Features];
        var y = new long[n];
        for (int i = 0; i < n; i++)
        {
            int c = r.Next(Classes);
            y[i] = c;
            for (int j = 0; j < Features; j++) x[i * Features + j] = protos[c][j] + (float)((r.NextDouble() * 2 - 1) * 0.6);
        }
        return (x, y);
    }

    /// <summary>Rows [start, start+count) (wrapping around) of the data as a feed.</summary>
    public FeedDict Feed((float[] Images, long[] Labels) data, long start, int count)
    {
        int n = data.Labels.Length;
        var x = new float[count * Features];
        var y = new long[count];
        for (int i = 0; i < count; i++)
        {
            int row = (int)((start + i) % n);
            Array.Copy(data.Images, row * Features, x, i * Features, Features);
            y[i] = data.Labels[row];
        }
        return new FeedDict { { X, Tensor.Create(x, count, Features) }, { Labels, Tensor.Create(y, count) } };
    }

    /// <summary>The first row replica <paramref name="replica"/> of <paramref name="replicas"/> trains on at global step <paramref name="step"/>: one batch each, in replica order.</summary>
    public static long BatchStart(long step, int replica, int replicas, int batchSize) => (step * replicas + replica) * batchSize;

    /// <summary>A one-line description of the model.</summary>
    public static string Describe() => string.Create(CultureInfo.InvariantCulture, $"MLP {Features}-{Hidden}-{Classes} on synthetic 8x8 digits");
}
