using TensorGraph.Data;
using TensorGraph.Training;
using static TensorGraph.Examples.Classics.ClassicsCatalog;

namespace TensorGraph.Examples.Classics;

/// <summary>
/// word2vec.py: skip-gram embeddings trained with nce_loss and gradient descent. The original reads
/// text8 (17 M words of Wikipedia); this port reads Moby-Dick (215 k words), so its full run is
/// 100 000 steps instead of 3 000 000 and its evaluation words are the novel's.
/// </summary>
public static class Word2Vec
{
    /// <summary>Runs the program; reports the first and last average NCE loss (first_loss, last_loss) and the vocabulary size.</summary>
    public static ClassicResult Run(ClassicOptions o, TextWriter log) => Run(o, log, out _);

    /// <summary>As <see cref="Run(ClassicOptions, TextWriter)"/>, also giving the vocabulary and the trained embedding matrix.</summary>
    public static ClassicResult Run(ClassicOptions o, TextWriter log, out (string[] Vocabulary, Tensor Embedding, Tensor EvalSimilarity, int[] EvalIds) detail)
    {
        // Training Parameters
        double learningRate = 0.1;
        int batchSize = 128;
        int numSteps = o.Steps(100000, 3000);
        int displayStep = o.Steps(10000, 1000);
        int evalStep = o.Steps(20000, 3000);

        // Evaluation Parameters
        string[] evalWords = ["whale", "ship", "sea", "captain", "ahab", "white"];

        // Word2Vec Parameters
        int embeddingSize = 200; // Dimension of the embedding vector
        int maxVocabularySize = 50000; // Total number of different words in the vocabulary
        int minOccurrence = 10; // Remove all words that does not appears at least n times
        int skipWindow = 3; // How many words to consider left and right
        int numSkips = 2; // How many times to reuse an input to generate a label
        int numSampled = 64; // Number of negative examples to sample

        var textWords = TextCorpora.Words(o.Corpus ?? TextCorpora.MobyDick());
        // Build the dictionary and replace rare words with UNK token
        var count = new List<(string Word, long Count)> { ("UNK", -1) };
        count.AddRange(textWords.GroupBy(w => w).Select(gr => (gr.Key, (long)gr.Count()))
            .OrderByDescending(p => p.Item2).ThenBy(p => p.Key, StringComparer.Ordinal).Take(maxVocabularySize - 1));
        // Remove samples with less than 'min_occurrence' occurrences
        for (int i = count.Count - 1; i >= 0; i--)
        {
            if (count[i].Count < minOccurrence) count.RemoveAt(i);
            else break; // The collection is ordered, so stop when 'min_occurrence' is reached
        }
        // Compute the vocabulary size
        int vocabularySize = count.Count;
        // Assign an id to each word
        var word2id = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < count.Count; i++) word2id[count[i].Word] = i;
        var data = new int[textWords.Count];
        long unkCount = 0;
        for (int i = 0; i < textWords.Count; i++)
        {
            // Retrieve a word id, or assign it index 0 ('UNK') if not in dictionary
            int index = word2id.GetValueOrDefault(textWords[i], 0);
            if (index == 0) unkCount++;
            data[i] = index;
        }
        count[0] = ("UNK", unkCount);
        var id2word = count.Select(c => c.Word).ToArray();
        log.WriteLine($"Words count: {textWords.Count}");
        log.WriteLine($"Unique words: {textWords.Distinct().Count()}");
        log.WriteLine($"Vocabulary size: {vocabularySize}");
        log.WriteLine($"Most common words: {string.Join(", ", count.Take(10).Select(c => $"('{c.Word}', {c.Count})"))}");

        int dataIndex = 0;
        var random = new Random(o.Seed);
        // Generate training batch for the skip-gram model
        (Tensor Batch, Tensor Labels) NextBatch(int batchSize, int numSkips, int skipWindow)
        {
            var batch = new int[batchSize];
            var labels = new int[batchSize];
            // get window size (words left and right + current one)
            int span = 2 * skipWindow + 1;
            var buffer = new Queue<int>(span);
            if (dataIndex + span > data.Length) dataIndex = 0;
            for (int i = 0; i < span; i++) buffer.Enqueue(data[dataIndex + i]);
            dataIndex += span;
            for (int i = 0; i < batchSize / numSkips; i++)
            {
                var window = buffer.ToArray();
                var contextWords = Enumerable.Range(0, span).Where(w => w != skipWindow).ToList();
                var wordsToUse = contextWords.OrderBy(_ => random.Next()).Take(numSkips).ToArray();
                for (int j = 0; j < numSkips; j++)
                {
                    batch[i * numSkips + j] = window[skipWindow];
                    labels[i * numSkips + j] = window[wordsToUse[j]];
                }
                if (dataIndex == data.Length)
                {
                    buffer.Clear();
                    for (int w = 0; w < span; w++) buffer.Enqueue(data[w]);
                    dataIndex = span;
                }
                else
                {
                    buffer.Dequeue();
                    buffer.Enqueue(data[dataIndex]);
                    dataIndex++;
                }
            }
            // Backtrack a little bit to avoid skipping words in the end of a batch
            dataIndex = (dataIndex + data.Length - span) % data.Length;
            return (Tensor.Create(batch, batchSize), Tensor.Create(labels, batchSize, 1));
        }

        var g = new Graph { Seed = o.Seed };
        // Input data
        var X = g.Placeholder(DType.Int32, new Shape(-1));
        // Input label
        var Y = g.Placeholder(DType.Int32, new Shape(-1, 1));

        // Ensure the following ops & var are assigned on CPU
        // (some ops are not compatible on GPU).
        Variable embedding, nceWeights, nceBiases;
        Output XEmbed;
        using (g.Device("/cpu:0"))
        {
            // Create the embedding variable (each row represent a word embedding vector)
            embedding = g.Variable(g.RandomNormal([vocabularySize, embeddingSize]));
            // Lookup the corresponding embedding vectors for each sample in X
            XEmbed = g.EmbeddingLookup(embedding, X);

            // Construct the variables for the NCE loss
            nceWeights = g.Variable(g.RandomNormal([vocabularySize, embeddingSize]));
            nceBiases = g.Variable(g.Zeros([vocabularySize]));
        }

        // Compute the average NCE loss for the batch
        var lossOp = g.ReduceMean(g.NceLoss(weights: nceWeights, biases: nceBiases, labels: Y, inputs: XEmbed, numSampled: numSampled, numClasses: vocabularySize));

        // Define the optimizer
        var trainOp = new GradientDescentOptimizer(learningRate).Minimize(lossOp);

        // Evaluation: compute the cosine similarity between input data embedding and every embedding vectors
        var XEmbedNorm = XEmbed / g.Sqrt(g.ReduceSum(g.Square(XEmbed)));
        var embeddingNorm = embedding / g.Sqrt(g.ReduceSum(g.Square(embedding), [1], keepDims: true));
        var cosineSimOp = g.MatMul(XEmbedNorm, embeddingNorm, transposeB: true);

        var init = g.GlobalVariablesInitializer();
        using var sess = new Session(g);
        sess.Run(init);

        // Testing data
        var evalIds = evalWords.Select(w => word2id.GetValueOrDefault(w, 0)).ToArray();
        var xTest = Tensor.Create(evalIds, evalIds.Length);

        var r = new ClassicResult("word2vec");
        r.Values["vocabulary_size"] = vocabularySize;
        double averageLoss = 0;
        Tensor sim = xTest;
        for (int step = 1; step <= numSteps; step++)
        {
            // Get a new batch of data
            var (batchX, batchY) = NextBatch(batchSize, numSkips, skipWindow);
            // Run training op
            var (_, loss) = sess.Run(trainOp, lossOp, new FeedDict { [X] = batchX, [Y] = batchY });
            averageLoss += loss!.Scalar<float>();

            if (step % displayStep == 0 || step == 1)
            {
                if (step > 1) averageLoss /= displayStep;
                log.WriteLine($"Step {step}, Average Loss= {F(averageLoss, "F4")}");
                if (step == 1) r.Values["first_loss"] = averageLoss;
                r.Values["last_loss"] = averageLoss;
                averageLoss = 0;
            }

            // Evaluation
            if (step % evalStep == 0 || step == 1)
            {
                log.WriteLine("Evaluation...");
                sim = sess.Run(cosineSimOp, new FeedDict { [X] = xTest });
                var s = sim.ToArray<float>();
                for (int i = 0; i < evalWords.Length; i++)
                {
                    int topK = 8; // number of nearest neighbors
                    var nearest = Enumerable.Range(0, vocabularySize).OrderByDescending(j => s[i * vocabularySize + j]).Skip(1).Take(topK);
                    log.WriteLine($"\"{evalWords[i]}\" nearest neighbors: {string.Join(", ", nearest.Select(j => id2word[j]))},");
                }
            }
        }
        detail = (id2word, sess.Run(embedding), sim, evalIds);
        return r;
    }
}
