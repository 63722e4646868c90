using TensorGraph.Serialization;

namespace TensorGraph.Serving;

/// <summary>Server-side batching of Predict requests (TF Serving's <c>--enable_batching</c>).</summary>
public sealed class BatchingOptions
{
    /// <summary>The most rows (sum of the requests' dimension 0) one session run takes (TF Serving's <c>max_batch_size</c>).</summary>
    public int MaxBatchSize { get; init; } = 32;

    /// <summary>How long the first request of a batch waits for others, in microseconds (TF Serving's <c>batch_timeout_micros</c>).</summary>
    public long BatchTimeoutMicros { get; init; } = 1000;
}

/// <summary>
/// Batches concurrent Predict requests for the same model version, signature, outputs and input
/// layout (dtype and dimensions past the first): their inputs are concatenated along dimension 0,
/// run once, and the outputs split back by each request's row count. A batch runs when it reaches
/// <see cref="BatchingOptions.MaxBatchSize"/> rows or when its first request has waited
/// <see cref="BatchingOptions.BatchTimeoutMicros"/>. When the batched run fails, or an output has
/// no batch dimension to split, each request is run on its own, so one bad request gets its own
/// error and never another's result.
/// </summary>
internal sealed class PredictBatcher(BatchingOptions options)
{
    private readonly object _gate = new();
    private readonly Dictionary<Key, Queue> _queues = [];
    private readonly int _max = Math.Max(1, options.MaxBatchSize);
    private readonly TimeSpan _timeout = TimeSpan.FromTicks(Math.Max(0, options.BatchTimeoutMicros) * 10);
    private long _runs, _requests;

    private readonly record struct Key(Session Session, Signature Signature, string Layout);

    private sealed record Pending(IReadOnlyDictionary<string, Tensor> Inputs, int Rows, RunOptions? Options, TaskCompletionSource<Dictionary<string, Tensor>> Done);

    private sealed class Queue(Session session, Signature signature, IReadOnlyList<string> outputs)
    {
        public Session Session { get; } = session;
        public Signature Signature { get; } = signature;
        public IReadOnlyList<string> Outputs { get; } = outputs;
        public List<Pending> Items { get; set; } = [];
        public int Rows { get; set; }
        public long Generation { get; set; }
        public bool TimerArmed { get; set; }
    }

    public (long Runs, long Requests) Stats => (Interlocked.Read(ref _runs), Interlocked.Read(ref _requests));

    /// <summary>Whether the inputs can join a batch: every input has a dimension 0, the same for all, and not 0.</summary>
    public static bool CanBatch(IReadOnlyDictionary<string, Tensor> inputs)
    {
        int rows = -1;
        foreach (var t in inputs.Values)
        {
            if (t.Rank == 0 || t.Dims[0] == 0) return false;
            if (rows >= 0 && t.Dims[0] != rows) return false;
            rows = t.Dims[0];
        }
        return rows > 0;
    }

    public async Task<Dictionary<string, Tensor>> RunAsync(Session session, Signature sig, IReadOnlyDictionary<string, Tensor> inputs,
        IReadOnlyList<string> outputs, RunOptions? runOptions, CancellationToken cancellationToken)
    {
        var layout = string.Join(";", inputs.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"{kv.Key}:{kv.Value.DType}:{string.Join(",", kv.Value.Dims[1..].ToArray())}")) + "|" + string.Join(",", outputs);
        var key = new Key(session, sig, layout);
        var p = new Pending(inputs, inputs.Values.First().Dims[0], runOptions,
            new TaskCompletionSource<Dictionary<string, Tensor>>(TaskCreationOptions.RunContinuationsAsynchronously));
        List<Pending>? full1 = null, full2 = null;
        Queue q;
        long arm = -1;
        lock (_gate)
        {
            if (!_queues.TryGetValue(key, out q!)) _queues[key] = q = new Queue(session, sig, outputs);
            if (q.Items.Count > 0 && q.Rows + p.Rows > _max) full1 = Take(q);
            q.Items.Add(p);
            q.Rows += p.Rows;
            if (q.Rows >= _max || _timeout == TimeSpan.Zero)
            {
                full2 = Take(q);
                _queues.Remove(key);
            }
            else if (!q.TimerArmed)
            {
                q.TimerArmed = true;
                arm = q.Generation;
            }
        }
        if (full1 is not null) Dispatch(q, full1);
        if (full2 is not null) Dispatch(q, full2);
        if (arm >= 0) _ = FlushLater(key, arm);
        using (cancellationToken.Register(() => p.Done.TrySetCanceled(cancellationToken)))
            return await p.Done.Task.ConfigureAwait(false);
    }

    private static List<Pending> Take(Queue q)
    {
        var items = q.Items;
        q.Items = [];
        q.Rows = 0;
        q.Generation++;
        q.TimerArmed = false;
        return items;
    }

    private async Task FlushLater(Key key, long generation)
    {
        await Task.Delay(_timeout).ConfigureAwait(false);
        List<Pending>? batch = null;
        Queue? q;
        lock (_gate)
        {
            if (_queues.TryGetValue(key, out q) && q.Generation == generation && q.Items.Count > 0)
            {
                batch = Take(q);
                _queues.Remove(key);
            }
        }
        if (batch is not null) Dispatch(q!, batch);
    }

    private void Dispatch(Queue q, List<Pending> batch) => _ = Task.Run(() => Execute(q, batch));

    private void Execute(Queue q, List<Pending> batch)
    {
        Interlocked.Add(ref _requests, batch.Count);
        if (batch.Count == 1)
        {
            RunAlone(q, batch[0]);
            return;
        }
        Dictionary<string, Tensor> merged;
        try
        {
            Interlocked.Increment(ref _runs);
            var inputs = batch[0].Inputs.Keys.ToDictionary(k => k, k => TensorCodec.Concat(batch.Select(b => b.Inputs[k]).ToArray()), StringComparer.Ordinal);
            // The tightest deadline of the batch bounds the run.
            var timeout = batch.Select(b => b.Options?.TimeoutInMs ?? 0).Where(t => t > 0).DefaultIfEmpty(0).Min();
            merged = InferenceCore.RunSignature(q.Session, q.Signature, inputs, q.Outputs,
                timeout > 0 ? new RunOptions { TimeoutInMs = timeout } : null, CancellationToken.None);
        }
        catch (Exception)
        {
            foreach (var b in batch) RunAlone(q, b);
            return;
        }
        int total = batch.Sum(b => b.Rows);
        if (merged.Values.Any(t => t.Rank == 0 || t.Dims[0] != total))
        {
            foreach (var b in batch) RunAlone(q, b);
            return;
        }
        int start = 0;
        foreach (var b in batch)
        {
            try
            {
                var mine = merged.ToDictionary(kv => kv.Key, kv => TensorCodec.Rows(kv.Value, start, b.Rows), StringComparer.Ordinal);
                b.Done.TrySetResult(mine);
            }
            catch (Exception e)
            {
                b.Done.TrySetException(ServingException.From(e));
            }
            start += b.Rows;
        }
    }

    private void RunAlone(Queue q, Pending p)
    {
        try
        {
            Interlocked.Increment(ref _runs);
            p.Done.TrySetResult(InferenceCore.RunSignature(q.Session, q.Signature, p.Inputs, q.Outputs, p.Options, CancellationToken.None));
        }
        catch (Exception e)
        {
            p.Done.TrySetException(ServingException.From(e));
        }
    }
}
