using TensorGraph.Serialization;
using TensorGraph.Tests.Serialization;

namespace TensorGraph.Tests.Interop;

/// <summary>
/// A BiLSTM-CRF training graph written by TensorFlow 1.0 (NeuroNER's entity LSTM, MIT licence;
/// see the fixture folder's README): a character BiLSTM and a token BiLSTM feeding a linear-chain
/// CRF (<c>crf/transitions</c>, 51 x 51, loss <c>crf/cross_entropy_mean_loss</c>), and TF's own
/// gradient-descent train op with gradients clipped to [-5, 5]. The MetaGraphDef is imported, its
/// variables initialized by its own initializers, and made-up inputs fed.
/// </summary>
public class BiLstmCrfMetaGraphTests
{
    private const string Folder = "tensorflow/bilstm_crf/neuroner_mimic";
    private const int Tokens = 4, MaxChars = 6, Classes = 49;

    private static Graph Import()
    {
        var path = Fixtures.ThirdParty(Folder + "/model.ckpt.meta");
        var g = new Graph();
        g.ImportMetaGraph(MetaGraphs.Read(path), source: path);
        return g;
    }

    private static Output T(Graph g, string name) => g.GetOperation(name)[0];

    /// <summary>A sentence of four tokens (word ids, padded character ids and lengths, BIOES tag ids).</summary>
    private static FeedDict Feeds(Graph g)
    {
        var chars = new int[Tokens, MaxChars];
        int[] lengths = [3, 6, 2, 5];
        for (int t = 0; t < Tokens; t++)
            for (int c = 0; c < lengths[t]; c++) chars[t, c] = 1 + (7 * t + 3 * c) % 90;
        int[] tags = [0, 3, 7, 0];
        var oneHot = new float[Tokens, Classes];
        for (int t = 0; t < Tokens; t++) oneHot[t, tags[t]] = 1;
        return new FeedDict
        {
            [T(g, "input_token_indices")] = new[] { 5, 17, 2, 300 },
            [T(g, "input_token_indices_1")] = Tensor.FromArray(chars),
            [T(g, "input_token_lengths")] = lengths,
            [T(g, "input_label_indices_flat")] = tags,
            [T(g, "input_label_indices_vector")] = Tensor.FromArray(oneHot),
            [T(g, "dropout_keep_prob")] = Tensor.Scalar(1f),
        };
    }

    private static Session Initialized(Graph g)
    {
        var s = new Session(g);
        s.Run(g.GlobalVariables.Select(v => v.Initializer).ToArray());
        return s;
    }

    [Test]
    public void TheGraphTrainsWithItsOwnTrainOp()
    {
        var g = Import();
        Assert.That(g.GetCollection<object>("while_context"), Has.Count.EqualTo(5), "the five forward loops (two BiLSTMs and the CRF forward algorithm) got their contexts back");
        using var s = Initialized(g);
        var feeds = Feeds(g);
        var loss = T(g, "crf/cross_entropy_mean_loss");
        var train = g.GetOperation("GradientDescent");
        var losses = new List<float>();
        for (int step = 0; step < 6; step++)
        {
            losses.Add(s.Run(loss, feeds).Scalar<float>());
            s.Run(train, feeds);
        }
        losses.Add(s.Run(loss, feeds).Scalar<float>());
        TestContext.Out.WriteLine("losses: " + string.Join(", ", losses));
        Assert.That(losses, Has.All.Matches<float>(float.IsFinite));
        Assert.That(losses[0], Is.GreaterThan(0));
        for (int i = 1; i < losses.Count; i++)
            Assert.That(losses[i], Is.LessThan(losses[i - 1]), $"step {i}: {string.Join(", ", losses)}");
    }

    [Test]
    public void TheGradientOfTheLossWithRespectToTheTransitionsMatchesTensorFlowsAndFiniteDifferences()
    {
        var g = Import();
        var loss = T(g, "crf/cross_entropy_mean_loss");
        var transitions = T(g, "crf/transitions/read");
        Assert.That(transitions.Shape, Is.EqualTo(new Shape(51, 51)), "49 tags plus the start and end tags");

        // TF's own gradient in the graph: the value clipped to [-5, 5] before the update of
        // crf/transitions (clip_by_value_21 = Maximum(Minimum(grad, 5), -5)).
        var update = g.GetOperation("GradientDescent/update_crf/transitions/ApplyGradientDescent");
        var clipped = update.Inputs[2].Op;
        Assert.That(clipped.Type, Is.EqualTo("Maximum"));
        var tfGrad = clipped.Inputs[0].Op.Inputs[0];
        Assert.That(tfGrad.Op.Name, Does.StartWith("gradients/"));
        // Ours, built on the imported graph (through the CRF's forward-algorithm while loop).
        var ours = g.Gradients(loss, transitions)[0];
        Assert.That(ours, Is.Not.Null);
        Assert.That(ours!.Value.Op, Is.Not.SameAs(tfGrad.Op), "a new gradient subgraph, not TF's tensor");

        using var s = Initialized(g);
        var feeds = Feeds(g);
        var point = s.Run(transitions, feeds);
        var r = s.Run([loss, tfGrad, ours.Value], feeds);
        double l0 = r[0].Scalar<float>();
        var tf = r[1].ToArray<float>();
        var mine = r[2].ToArray<float>();
        Assert.That(r[2].Dims.ToArray(), Is.EqualTo(new[] { 51, 51 }));
        double scale = tf.Max(v => Math.Abs((double)v));
        Assert.That(scale, Is.GreaterThan(0.05), "TF's gradient is not all zeros");
        for (int k = 0; k < tf.Length; k++)
            Assert.That(mine[k], Is.EqualTo(tf[k]).Within(1e-5 * scale + 1e-7), $"d loss / d transitions[{k / 51}, {k % 51}]: ours vs TF's");

        // Central differences on the loss, the transitions fed: the entries of the tag path
        // start -> 0 -> 3 -> 7 -> 0 -> end (tags 49 and 50 are start and end) and a few others.
        (int From, int To)[] entries = [(49, 0), (0, 3), (3, 7), (7, 0), (0, 50), (49, 3), (3, 3), (12, 40), (0, 0), (7, 50)];
        const float delta = 1e-2f;
        foreach (var (i, j) in entries)
        {
            int k = i * 51 + j;
            double Loss(float shift)
            {
                var v = point.Clone();
                Graph.SetFromDouble(v, k, point.GetDouble(k) + shift);
                var f = Feeds(g);
                f[transitions] = v;
                return s.Run(loss, f).Scalar<float>();
            }
            double numeric = (Loss(delta) - Loss(-delta)) / (2 * delta);
            Assert.That(tf[k], Is.EqualTo(numeric).Within(2e-3 + 2e-3 * Math.Abs(numeric)), $"transitions[{i}, {j}]: TF's gradient {tf[k]} vs finite differences {numeric} (loss {l0})");
            Assert.That(mine[k], Is.EqualTo(numeric).Within(2e-3 + 2e-3 * Math.Abs(numeric)), $"transitions[{i}, {j}]: our gradient {mine[k]} vs finite differences {numeric}");
        }
        // On the path the gradient is about -1 per use (the gold path's score) plus the expected count.
        Assert.That(tf[49 * 51 + 0], Is.LessThan(-0.5), "start -> tag 0 is on the gold path");
    }

    /// <summary>
    /// Every variable the train op updates: our gradient of the loss, built on the imported graph,
    /// equals TF's (the value the train op clips and applies), through both BiLSTMs' loops.
    /// </summary>
    [Test]
    public void OurGradientsOfEveryTrainedVariableEqualTensorFlows()
    {
        var g = Import();
        var loss = T(g, "crf/cross_entropy_mean_loss");
        var updates = g.Operations.Where(o => o.Type == "ApplyGradientDescent").ToArray();
        Assert.That(updates, Has.Length.EqualTo(22));
        var variables = updates.Select(u => u.Inputs[0]).ToArray();
        // clip_by_value_k = Maximum(Minimum(grad, 5), -5). (The character embedding's clip input is
        // the dense UnsortedSegmentSum TF 1.0's clip_by_value made of the IndexedSlices, clip_by_value/t.)
        var tfGrads = updates.Select(u => u.Inputs[2].Op.Inputs[0].Op.Inputs[0]).ToArray();
        // Under a name scope of its own: with the default one, "gradients" (which TF's imported
        // ops do not hold as a name, as in TF), our TensorArray gradients would share TF's
        // gradient arrays (source "gradients") and the two backprop loops would collide in one run.
        var ours = g.Gradients([loss], variables, name: "gradients_check");
        Assert.That(ours, Has.All.Not.Null);
        Assert.That(g.Operations.Where(o => o.Type == "TensorArrayGradV3" && !o.Name.StartsWith("gradients/", StringComparison.Ordinal)).Select(o => o.GetAttrString("source")),
            Is.Not.Empty.And.All.EqualTo("gradients_check"));
        using var s = Initialized(g);
        var r = s.Run([.. tfGrads, .. ours.Select(o => o!.Value)], Feeds(g));
        int nonZero = 0;
        for (int i = 0; i < variables.Length; i++)
        {
            var name = variables[i].Op.Name;
            var tf = r[i].ToArray<float>();
            var mine = r[variables.Length + i].ToArray<float>();
            Assert.That(mine, Has.Length.EqualTo(tf.Length), name);
            double scale = tf.Max(v => Math.Abs((double)v));
            if (scale > 0) nonZero++;
            int worst = Enumerable.Range(0, tf.Length).MaxBy(k => Math.Abs((double)mine[k] - tf[k]));
            Assert.That(mine[worst], Is.EqualTo(tf[worst]).Within(1e-4 * scale + 1e-6), $"d loss / d {name}[{worst}], the largest difference (TF's largest magnitude {scale})");
        }
        Assert.That(nonZero, Is.GreaterThanOrEqualTo(20), "the gradients are not all zeros");
    }
}
