using System.Globalization;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace TensorGraph.Distributed;

/// <summary>
/// Places parameter shard <c>job/ps/k</c> on the k-th of the compatible silos in address order
/// (modulo their number), so a job's shards spread over the ps silos as replica_device_setter
/// spreads variables over ps tasks.
/// </summary>
[GenerateSerializer, Immutable, Alias("TensorGraph.Distributed.ShardIndexPlacement")]
public sealed class ShardIndexPlacement : PlacementStrategy
{
}

/// <summary>Marks a grain class for <see cref="ShardIndexPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ShardIndexPlacementAttribute : PlacementAttribute
{
    /// <summary>Creates the attribute.</summary>
    public ShardIndexPlacementAttribute() : base(new ShardIndexPlacement()) { }
}

/// <summary>The director of <see cref="ShardIndexPlacement"/>.</summary>
internal sealed class ShardIndexPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target);
        if (IPlacementDirector.GetPlacementHint(target.RequestContextData, silos) is { } hint) return Task.FromResult(hint);
        var sorted = silos.OrderBy(s => s).ToArray();
        return Task.FromResult(sorted[(int)(ShardIndex(target.GrainIdentity.Key.ToString()) % sorted.Length)]);
    }

    /// <summary>The k of a key <c>job/ps/k</c>; other keys hash.</summary>
    internal static long ShardIndex(string key)
    {
        int slash = key.LastIndexOf('/');
        if (slash >= 0 && long.TryParse(key.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long k)) return k;
        return StringComparer.Ordinal.GetHashCode(key) & 0x7fffffff;
    }
}

/// <summary>Silo registration of what parameter shards need.</summary>
public static class ParameterShardSiloExtensions
{
    /// <summary>
    /// Registers the placement of parameter shards (<see cref="ShardIndexPlacement"/>). Every
    /// silo that may host shards calls it (<see cref="DistributedHosting.BuildParameterServer"/> does).
    /// </summary>
    public static ISiloBuilder AddParameterShards(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddPlacementDirector<ShardIndexPlacement, ShardIndexPlacementDirector>();
    }
}
