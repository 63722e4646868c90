using System.Collections.Frozen;
using System.Reflection;

namespace TensorGraph.Ops;

/// <summary>Finds op specs by TF type name. Specs are discovered once by reflection.</summary>
internal static class OpRegistry
{
    private static readonly FrozenDictionary<string, OpSpec> Specs = Discover();

    private static FrozenDictionary<string, OpSpec> Discover()
    {
        var d = new Dictionary<string, OpSpec>(StringComparer.Ordinal);
        foreach (var t in typeof(OpSpec).Assembly.GetTypes())
        {
            if (t.IsAbstract || !typeof(OpSpec).IsAssignableFrom(t)) continue;
            if (t.GetConstructor(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, Type.EmptyTypes) is not { } ctor) continue;
            var spec = (OpSpec)ctor.Invoke(null);
            if (!d.TryAdd(spec.Type, spec))
                throw new InternalException($"Op type '{spec.Type}' is registered twice ({d[spec.Type].GetType().Name} and {t.Name})");
        }
        return d.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Every registered op type.</summary>
    public static IEnumerable<string> Types => Specs.Keys;

    /// <summary>Every registered spec.</summary>
    public static IEnumerable<OpSpec> All => Specs.Values;

    public static bool TryGet(string type, out OpSpec spec) => Specs.TryGetValue(type, out spec!);

    public static OpSpec Get(string type) =>
        Specs.TryGetValue(type, out var s) ? s : throw new NotFoundException($"Op type not registered '{type}'");
}
