namespace TensorGraph.Distributed;

/// <summary>TF1's replica_device_setter strategies: which shard each variable lives on.</summary>
public static class ShardPlacement
{
    /// <summary>
    /// The shard index of each variable, in order: round-robin in creation order
    /// (<c>_RoundRobinStrategy</c>), or greedily to the shard with the fewest bytes so far, ties to
    /// the lowest index (<c>GreedyLoadBalancingStrategy</c> with <c>byte_size_load_fn</c>).
    /// </summary>
    public static int[] Assign(IReadOnlyList<Variable> variables, int numShards, VariablePlacement placement)
    {
        ArgumentNullException.ThrowIfNull(variables);
        ArgumentOutOfRangeException.ThrowIfLessThan(numShards, 1);
        var r = new int[variables.Count];
        if (placement == VariablePlacement.RoundRobin)
        {
            for (int i = 0; i < r.Length; i++) r[i] = i % numShards;
            return r;
        }
        var load = new long[numShards];
        for (int i = 0; i < r.Length; i++)
        {
            int best = 0;
            for (int k = 1; k < numShards; k++) if (load[k] < load[best]) best = k;
            r[i] = best;
            var v = variables[i];
            load[best] += v.Shape.IsFullyDefined ? v.Shape.NumElements * Math.Max(1, v.DType.Size()) : 0;
        }
        return r;
    }
}
