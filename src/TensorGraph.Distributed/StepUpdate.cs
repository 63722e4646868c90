using System.Numerics;
using System.Numerics.Tensors;

namespace TensorGraph.Distributed;

/// <summary>
/// What one replica sends a shard for one step, and its wire form (a <see cref="TensorSet"/> whose
/// entry names carry the role): dense gradients (<c>grad:VAR</c>), sparse gradients as the rows of
/// an IndexedSlices (<c>values:VAR</c> and <c>indices:VAR</c>), the change a step made to a hosted
/// variable that is not trained by gradients, such as a batch-norm moving average
/// (<c>delta:VAR</c>), and the step's learning rate when it is a tensor (<c>:learning_rate</c>, a
/// float64 scalar). TF node names never contain ':', so the prefixes cannot clash with names.
/// </summary>
internal sealed class StepUpdate
{
    public const string GradPrefix = "grad:", ValuesPrefix = "values:", IndicesPrefix = "indices:", DeltaPrefix = "delta:";
    public const string LearningRateKey = ":learning_rate";

    /// <summary>Per trainable variable (shard order): the dense gradient, or the sparse gradient's values.</summary>
    public required Tensor[] Grads { get; init; }
    /// <summary>Per trainable variable: the sparse gradient's row indices, or null for a dense gradient.</summary>
    public required Tensor?[] Indices { get; init; }
    /// <summary>Per state (non-trained) variable: new value minus the pulled value, or null when unchanged.</summary>
    public required Tensor?[] Deltas { get; init; }
    /// <summary>The learning rate of this step, when the optimizer's rate is a tensor.</summary>
    public double? LearningRate { get; init; }

    /// <summary>The wire entries of one replica's update (names, not shard positions).</summary>
    public static List<KeyValuePair<string, Tensor>> Entries(
        IEnumerable<(string Var, Tensor Grad, Tensor? Indices)> grads, IEnumerable<(string Var, Tensor Delta)> deltas, double? learningRate)
    {
        var e = new List<KeyValuePair<string, Tensor>>();
        foreach (var (v, g, idx) in grads)
        {
            if (idx is null) e.Add(new(GradPrefix + v, g));
            else
            {
                e.Add(new(ValuesPrefix + v, g));
                e.Add(new(IndicesPrefix + v, idx));
            }
        }
        foreach (var (v, d) in deltas) e.Add(new(DeltaPrefix + v, d));
        if (learningRate is { } lr) e.Add(new(LearningRateKey, Tensor.Scalar(lr)));
        return e;
    }

    /// <summary>
    /// Reads a replica's entries against the shard's variables; null and a message when they do not
    /// fit (a gradient missing, of the wrong form, dtype or shape, an unknown name).
    /// <paramref name="tIndex"/> and <paramref name="sIndex"/> map names to positions in
    /// <paramref name="trainable"/> and <paramref name="state"/>.
    /// </summary>
    public static StepUpdate? Parse(List<KeyValuePair<string, Tensor>> entries, Variable[] trainable, IReadOnlyDictionary<string, int> tIndex,
        bool[] sparse, DType[] indexTypes, Variable[] state, IReadOnlyDictionary<string, int> sIndex, bool learningRateFed, out string? problem)
    {
        var grads = new Tensor?[trainable.Length];
        var indices = new Tensor?[trainable.Length];
        var deltas = new Tensor?[state.Length];
        double? lr = null;
        problem = null;
        foreach (var (key, t) in entries)
        {
            if (key == LearningRateKey)
            {
                if (!learningRateFed) return Fail("a learning rate was sent, but the job's learning rate is a constant", out problem);
                if (t.DType != DType.Float64 || t.Shape.Rank != 0) return Fail($"the learning rate must be a float64 scalar, got {t.DType.Name()}{t.Shape}", out problem);
                lr = t.Scalar<double>();
            }
            else if (Split(key, GradPrefix, out var name))
            {
                if (!tIndex.TryGetValue(name, out int i)) return Fail($"gradient for '{name}', which is not a trainable variable of this shard", out problem);
                if (sparse[i]) return Fail($"the gradient of '{name}' must be sparse (values and indices), got a dense tensor", out problem);
                var v = trainable[i];
                if (t.DType != v.DType || !v.Shape.IsCompatibleWith(t.Shape))
                    return Fail($"gradient of '{name}' is {t.DType.Name()}{t.Shape}, the variable is {v.DType.Name()}{v.Shape}", out problem);
                if (grads[i] is not null) return Fail($"two gradients for '{name}'", out problem);
                grads[i] = t;
            }
            else if (Split(key, ValuesPrefix, out name) || Split(key, IndicesPrefix, out name))
            {
                if (!tIndex.TryGetValue(name, out int i)) return Fail($"gradient for '{name}', which is not a trainable variable of this shard", out problem);
                if (!sparse[i]) return Fail($"the gradient of '{name}' must be dense, got sparse rows", out problem);
                bool isValues = key.StartsWith(ValuesPrefix, StringComparison.Ordinal);
                ref var slot = ref (isValues ? ref grads[i] : ref indices[i]);
                if (slot is not null) return Fail($"two sparse {(isValues ? "values" : "indices")} for '{name}'", out problem);
                slot = t;
            }
            else if (Split(key, DeltaPrefix, out name))
            {
                if (!sIndex.TryGetValue(name, out int i)) return Fail($"an update of '{name}', which is not a state variable of this shard", out problem);
                var v = state[i];
                if (t.DType != v.DType || !v.Shape.IsCompatibleWith(t.Shape))
                    return Fail($"the update of '{name}' is {t.DType.Name()}{t.Shape}, the variable is {v.DType.Name()}{v.Shape}", out problem);
                if (deltas[i] is not null) return Fail($"two updates of '{name}'", out problem);
                deltas[i] = t;
            }
            else return Fail($"unknown entry '{key}'", out problem);
        }
        for (int i = 0; i < trainable.Length; i++)
        {
            var v = trainable[i];
            if (grads[i] is null) return Fail($"no gradient for '{v.Name}' (expected one per trainable variable: {string.Join(", ", trainable.Select(x => x.Name))})", out problem);
            if (!sparse[i]) continue;
            var values = grads[i]!;
            if (indices[i] is not { } idx) return Fail($"the sparse gradient of '{v.Name}' has values but no indices", out problem);
            if (idx.DType != indexTypes[i] || idx.Shape.Rank != 1)
                return Fail($"the indices of '{v.Name}''s gradient are {idx.DType.Name()}{idx.Shape}, expected a {indexTypes[i].Name()} vector", out problem);
            if (values.DType != v.DType || values.Shape.Rank != v.Shape.Rank || values.Dims[0] != idx.Dims[0]
                || !new Shape([-1, .. v.Shape.Dims[1..]]).IsCompatibleWith(values.Dims))
                return Fail($"the sparse values of '{v.Name}' are {values.DType.Name()}{values.Shape} for {idx.Dims[0]} indices, the variable is {v.DType.Name()}{v.Shape}", out problem);
            long rows = v.Shape.Dims[0];
            if (Rows(idx).Any(r => r < 0 || (rows >= 0 && r >= rows)))
                return Fail($"a row index of '{v.Name}''s gradient is out of range [0, {rows})", out problem);
        }
        if (learningRateFed && lr is null) return Fail("no learning rate: the job's learning rate is a tensor, evaluated by each replica", out problem);
        return new StepUpdate { Grads = grads!, Indices = indices, Deltas = deltas, LearningRate = lr };
    }

    /// <summary>
    /// SyncReplicas' aggregation of <paramref name="updates"/> (in replica order): dense gradients
    /// averaged (summed in order, then divided by the count); sparse gradients as their rows
    /// concatenated in order with the values divided by the count (the sparse apply sums repeated
    /// rows, so each row gets the mean over the replicas, as TF's SparseConditionalAccumulator);
    /// state changes averaged the same way (an absent change counts as zero); the learning rate of
    /// the first replica (every replica computes it at the same global step).
    /// </summary>
    public static StepUpdate Aggregate(IReadOnlyList<StepUpdate> updates)
    {
        var first = updates[0];
        if (updates.Count == 1) return first;
        int n = updates.Count;
        var grads = new Tensor[first.Grads.Length];
        var indices = new Tensor?[first.Grads.Length];
        for (int i = 0; i < grads.Length; i++)
        {
            if (first.Indices[i] is null) grads[i] = Mean([.. updates.Select(u => u.Grads[i])], n);
            else
            {
                grads[i] = Scale(Concat([.. updates.Select(u => u.Grads[i])]), n);
                indices[i] = Concat([.. updates.Select(u => u.Indices[i]!)]);
            }
        }
        var deltas = new Tensor?[first.Deltas.Length];
        for (int i = 0; i < deltas.Length; i++)
        {
            var present = updates.Select(u => u.Deltas[i]).Where(d => d is not null).ToArray();
            deltas[i] = present.Length == 0 ? null : Mean(present!, n);
        }
        return new StepUpdate { Grads = grads, Indices = indices, Deltas = deltas, LearningRate = first.LearningRate };
    }

    /// <summary><paramref name="updated"/> − <paramref name="pulled"/>, or null when they are equal (nothing to send).</summary>
    public static Tensor? Delta(Tensor updated, Tensor pulled) => updated.DType switch
    {
        DType.Float32 => Delta<float>(updated, pulled),
        DType.Float64 => Delta<double>(updated, pulled),
        DType.Int32 => Delta<int>(updated, pulled),
        DType.Int64 => Delta<long>(updated, pulled),
        _ => null,
    };

    /// <summary>Whether changes of a variable of <paramref name="dtype"/> can be sent (numeric types).</summary>
    public static bool CanSendChanges(DType dtype) => dtype is DType.Float32 or DType.Float64 or DType.Int32 or DType.Int64;

    private static Tensor? Delta<T>(Tensor updated, Tensor pulled) where T : unmanaged, INumber<T>
    {
        var a = updated.AsSpan<T>();
        var b = pulled.AsSpan<T>();
        if (a.SequenceEqual(b)) return null;
        var d = new T[a.Length];
        TensorPrimitives.Subtract(a, b, d);
        return Tensor.Create(d, [.. updated.Dims]);
    }

    /// <summary>(ts[0] + ts[1] + …, in order) / <paramref name="count"/>; integer types divide with truncation.</summary>
    private static Tensor Mean(Tensor[] ts, int count)
    {
        var r = ts[0].Clone();
        switch (r.DType)
        {
            case DType.Float32: Average<float>(r, ts, count); break;
            case DType.Float64: Average<double>(r, ts, count); break;
            case DType.Int32: Average<int>(r, ts, count); break;
            case DType.Int64: Average<long>(r, ts, count); break;
            default: throw new NotSupportedException($"averaging {r.DType.Name()} tensors is not supported (float32, float64, int32 and int64 are)");
        }
        return r;
    }

    private static void Average<T>(Tensor acc, Tensor[] ts, int count) where T : unmanaged, INumber<T>
    {
        var a = acc.AsSpan<T>();
        for (int k = 1; k < ts.Length; k++) TensorPrimitives.Add(a, ts[k].AsSpan<T>(), a);
        if (count > 1) TensorPrimitives.Divide(a, T.CreateChecked(count), a);
    }

    private static Tensor Scale(Tensor t, int count)
    {
        switch (t.DType)
        {
            case DType.Float32: TensorPrimitives.Divide(t.AsSpan<float>(), count, t.AsSpan<float>()); break;
            case DType.Float64: TensorPrimitives.Divide(t.AsSpan<double>(), count, t.AsSpan<double>()); break;
            default: throw new NotSupportedException($"averaging {t.DType.Name()} gradients is not supported (float32 and float64 are)");
        }
        return t;
    }

    /// <summary>Tensors concatenated along their first dimension (a new tensor).</summary>
    private static Tensor Concat(Tensor[] ts) => ts[0].DType switch
    {
        DType.Float32 => Concat<float>(ts),
        DType.Float64 => Concat<double>(ts),
        DType.Int32 => Concat<int>(ts),
        DType.Int64 => Concat<long>(ts),
        var t => throw new NotSupportedException($"concatenating {t.Name()} rows is not supported"),
    };

    private static Tensor Concat<T>(Tensor[] ts) where T : unmanaged
    {
        var data = new T[ts.Sum(t => t.AsSpan<T>().Length)];
        int at = 0, rows = 0;
        foreach (var t in ts)
        {
            var s = t.AsSpan<T>();
            s.CopyTo(data.AsSpan(at));
            at += s.Length;
            rows += t.Dims[0];
        }
        int[] dims = [.. ts[0].Dims];
        dims[0] = rows;
        return Tensor.Create(data, dims);
    }

    private static IEnumerable<long> Rows(Tensor idx) => idx.DType == DType.Int32 ? idx.ToArray<int>().Select(i => (long)i) : idx.ToArray<long>();

    private static bool Split(string key, string prefix, out string name)
    {
        bool ok = key.StartsWith(prefix, StringComparison.Ordinal);
        name = ok ? key[prefix.Length..] : "";
        return ok;
    }

    private static StepUpdate? Fail(string message, out string? problem)
    {
        problem = message;
        return null;
    }
}
