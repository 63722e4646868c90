using System.Globalization;
using TensorGraph.Rnn;
using TensorGraph.Training;

namespace TensorGraph.Examples;

/// <summary>What the character model trains with (the defaults finish in about two minutes on two cores).</summary>
public sealed class CharRnnOptions
{
    public int Epochs { get; set; } = 6;

    public int StepsPerEpoch { get; set; } = 25;

    public int BatchSize { get; set; } = 32;

    public int SeqLength { get; set; } = 40;

    public int Units { get; set; } = 128;

    public int EmbeddingSize { get; set; } = 32;

    public double LearningRate { get; set; } = 0.005;

    public double ClipNorm { get; set; } = 5.0;

    public int SampleLength { get; set; } = 200;

    public int Seed { get; set; } = 42;

    public string OutputDir { get; set; } = Path.Combine(Environment.CurrentDirectory, "output");
}

/// <summary>The losses per epoch, the checkpoint written and the sampled text.</summary>
public sealed record CharRnnResult(IReadOnlyList<double> EpochLosses, string CheckpointPath, string Sample, int VocabularySize);

/// <summary>A character-level LSTM language model trained on the Declaration of Independence.</summary>
public static class CharRnnExample
{
    /// <summary>The training text (embedded in the example).</summary>
    public static string LoadText()
    {
        using var stream = typeof(CharRnnExample).Assembly.GetManifestResourceStream("declaration.txt")
            ?? throw new InvalidOperationException("The training text is missing from the example");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    public static CharRnnResult Run(CharRnnOptions o, TextWriter log)
    {
        var text = LoadText();
        var vocab = text.Distinct().Order().ToArray();
        var index = vocab.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        var ids = text.Select(c => index[c]).ToArray();
        int v = vocab.Length;
        log.WriteLine($"text: {text.Length} characters, vocabulary {v}");

        var g = new Graph { Seed = o.Seed };
        var cells = new MultiRnnCell([new LstmCell(o.Units), new LstmCell(o.Units)]);
        Variable embedding, softmaxW, softmaxB;
        using (g.NameScope("embedding"))
            embedding = g.Variable(g.RandomUniform(new Shape(v, o.EmbeddingSize), -0.1, 0.1), "embedding");
        softmaxW = g.Variable(g.TruncatedNormal(new Shape(o.Units, v), stddev: 0.05), "softmax_w");
        softmaxB = g.Variable(Tensor.FromArray(new float[v]), "softmax_b");

        // Training graph: [batch, time] ids in, next characters as targets.
        var inputs = g.Placeholder(DType.Int32, [o.BatchSize, o.SeqLength], name: "inputs");
        var targets = g.Placeholder(DType.Int32, [o.BatchSize, o.SeqLength], name: "targets");
        var (outputs, _) = g.DynamicRnn(cells, g.Gather(embedding, inputs), dtype: DType.Float32);
        var logits = g.MatMul(g.Reshape(outputs, [-1, o.Units]), softmaxW) + softmaxB;
        var loss = g.ReduceMean(g.SparseSoftmaxCrossEntropyWithLogits(g.Reshape(targets, [-1]), logits), name: "loss");
        var adam = new AdamOptimizer(o.LearningRate);
        var gradsAndVars = adam.ComputeGradients(loss);
        var (clipped, _) = LearningRates.ClipByGlobalNorm(g, [.. gradsAndVars.Select(p => p.Gradient)], o.ClipNorm);
        var train = adam.ApplyGradients(gradsAndVars.Select((p, i) => (clipped[i], p.Variable)));

        // Sampling graph: one character at a time, the LSTM state fed back in.
        var sampleIn = g.Placeholder(DType.Int32, [1, 1], name: "sample_input");
        var stateIn = cells.StateSizes.Select((n, i) => g.Placeholder(DType.Float32, [1, n], name: $"sample_state_{i}")).ToArray();
        var (sampleOut, stateOut) = g.DynamicRnn(cells, g.Gather(embedding, sampleIn), initialState: stateIn, scope: "sample");
        var probs = g.Softmax(g.MatMul(g.Reshape(sampleOut, [-1, o.Units]), softmaxW) + softmaxB);

        using var session = new Session(g);
        session.Run(g.GlobalVariablesInitializer());
        var rng = new Random(o.Seed);
        var losses = new List<double>();
        var x = new int[o.BatchSize, o.SeqLength];
        var y = new int[o.BatchSize, o.SeqLength];
        for (int epoch = 1; epoch <= o.Epochs; epoch++)
        {
            double sum = 0;
            for (int step = 0; step < o.StepsPerEpoch; step++)
            {
                for (int b = 0; b < o.BatchSize; b++)
                {
                    int start = rng.Next(ids.Length - o.SeqLength - 1);
                    for (int t = 0; t < o.SeqLength; t++)
                    {
                        x[b, t] = ids[start + t];
                        y[b, t] = ids[start + t + 1];
                    }
                }
                var r = session.Run([loss], new FeedDict { [inputs] = x, [targets] = y }, train);
                sum += r[0].Scalar<float>();
            }
            losses.Add(sum / o.StepsPerEpoch);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}: loss {losses[^1]:F3}"));
        }
        Directory.CreateDirectory(o.OutputDir);
        var checkpoint = new Saver(g).Save(session, Path.Combine(o.OutputDir, "char_rnn"), globalStep: o.Epochs * o.StepsPerEpoch);
        log.WriteLine($"checkpoint: {checkpoint}");

        var sample = new System.Text.StringBuilder("We ");
        var state = cells.StateSizes.Select(n => Tensor.Zeros(DType.Float32, 1, n)).ToArray();
        int next = 0;
        foreach (var c in sample.ToString()) next = Feed(c);
        for (int k = 0; k < o.SampleLength; k++)
        {
            sample.Append(vocab[next]);
            next = Feed(vocab[next]);
        }
        log.WriteLine("sample:");
        log.WriteLine(sample.ToString());
        return new CharRnnResult(losses, checkpoint, sample.ToString(), v);

        // Feeds one character, keeps the new state, and draws the next character from the softmax.
        int Feed(char c)
        {
            var feeds = new FeedDict { [sampleIn] = new[,] { { index[c] } } };
            for (int i = 0; i < stateIn.Length; i++) feeds[stateIn[i]] = state[i];
            var r = session.Run([probs, .. stateOut], feeds);
            for (int i = 0; i < state.Length; i++) state[i] = r[1 + i];
            var p = r[0].ToArray<float>();
            double u = rng.NextDouble(), acc = 0;
            for (int j = 0; j < p.Length; j++)
            {
                acc += p[j];
                if (u < acc) return j;
            }
            return p.Length - 1;
        }
    }
}
