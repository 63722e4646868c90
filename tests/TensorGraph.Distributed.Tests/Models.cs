using TensorGraph.Training;

namespace TensorGraph.Distributed.Tests;

/// <summary>A small MLP classifier on synthetic, reproducible data; the same builder serves replicas and the single-process reference.</summary>
internal sealed class Mlp
{
    public const int D = 6, H = 5, C = 3;

    public Mlp()
    {
        G = new Graph();
        X = G.Placeholder(DType.Float32, new Shape(-1, D), "x");
        Y = G.Placeholder(DType.Float32, new Shape(-1, C), "y");
        W1 = G.Variable(Tensor.Create(Values(D * H, 1), D, H), "W1");
        B1 = G.Variable(Tensor.Create(Values(H, 2), H), "b1");
        W2 = G.Variable(Tensor.Create(Values(H * C, 3), H, C), "W2");
        B2 = G.Variable(Tensor.Create(Values(C, 4), C), "b2");
        var h = G.Relu(G.MatMul(X, W1) + B1);
        Logits = G.MatMul(h, W2) + B2;
        Loss = G.ReduceMean(G.SoftmaxCrossEntropyWithLogits(Y, Logits));
    }

    public Graph G { get; }
    public Output X { get; }
    public Output Y { get; }
    public Variable W1 { get; }
    public Variable B1 { get; }
    public Variable W2 { get; }
    public Variable B2 { get; }
    public Output Logits { get; }
    public Output Loss { get; }
    public Variable[] Variables => [W1, B1, W2, B2];

    /// <summary>Rows [start, start+count) of the data set as a feed.</summary>
    public FeedDict Feed(Data data, int start, int count) => new()
    {
        { X, Tensor.Create(data.X.AsSpan(start * D, count * D).ToArray(), count, D) },
        { Y, Tensor.Create(data.Y.AsSpan(start * C, count * C).ToArray(), count, C) },
    };

    private static float[] Values(int n, int seed)
    {
        var r = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() - 0.5))];
    }
}

/// <summary>Synthetic classification data: the label is the arg max of a fixed linear map of x.</summary>
internal sealed class Data
{
    public Data(int n, int seed = 7)
    {
        var r = new Random(seed);
        X = new float[n * Mlp.D];
        Y = new float[n * Mlp.C];
        var w = new float[Mlp.D * Mlp.C];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(r.NextDouble() * 2 - 1);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < Mlp.D; j++) X[i * Mlp.D + j] = (float)(r.NextDouble() * 2 - 1);
            int best = 0;
            double bestScore = double.NegativeInfinity;
            for (int c = 0; c < Mlp.C; c++)
            {
                double s = 0;
                for (int j = 0; j < Mlp.D; j++) s += X[i * Mlp.D + j] * w[j * Mlp.C + c];
                if (s > bestScore) (best, bestScore) = (c, s);
            }
            Y[i * Mlp.C + best] = 1;
        }
        N = n;
    }

    public int N { get; }
    public float[] X { get; }
    public float[] Y { get; }
}

/// <summary>The single-process run the distributed ones must match.</summary>
internal sealed class LocalReference : IDisposable
{
    public LocalReference(OptimizerSpec spec)
    {
        Model = new Mlp();
        Optimizer = spec.Create();
        Train = Optimizer.Minimize(Model.Loss);
        Session = new Session(Model.G);
        Session.Run(Model.G.GlobalVariablesInitializer());
    }

    public Mlp Model { get; }
    public Optimizer Optimizer { get; }
    public Operation Train { get; }
    public Session Session { get; }

    /// <summary>Steps [from, to) with batch replicas×b: step s uses rows [s·replicas·b, (s+1)·replicas·b).</summary>
    public void Run(Data data, int from, int to, int replicas, int b)
    {
        for (int s = from; s < to; s++) Session.Run(Train, Model.Feed(data, s * replicas * b % data.N, replicas * b));
    }

    public float[] Value(Variable v) => Session.Run(v.Value).ToArray<float>();

    public void Dispose() => Session.Dispose();
}
