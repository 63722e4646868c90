using TensorGraph.Ops;
using TensorGraph.Proto;

namespace TensorGraph;

/// <summary>
/// The ops TensorGraph implements, described as TensorFlow <c>OpDef</c>s built from their
/// declared schemas: argument names and order, attr types, defaults and constraints, and
/// <c>is_stateful</c>, as TensorFlow 1.15 registers them. Every call returns a new message.
/// </summary>
public static class OpCatalog
{
    /// <summary>Every registered op type, sorted ordinally.</summary>
    public static IReadOnlyList<string> OpTypes { get; } = [.. OpRegistry.Types.Order(StringComparer.Ordinal)];

    /// <summary>An <c>OpList</c> of every registered op, sorted by name (TF's <c>op_def_registry</c> export).</summary>
    public static OpList ToOpList()
    {
        var list = new OpList();
        foreach (var type in OpTypes) list.Op.Add(OpDefs.Registered[type].Clone());
        return list;
    }

    /// <summary>The OpDef of op type <paramref name="opType"/>; throws <see cref="NotFoundException"/> when it is not registered.</summary>
    public static OpDef GetOpDef(string opType)
    {
        ArgumentNullException.ThrowIfNull(opType);
        return TryGetOpDef(opType, out var def) ? def : throw new NotFoundException($"Op type not registered '{opType}'");
    }

    /// <summary>The OpDef of op type <paramref name="opType"/>, or false when it is not registered.</summary>
    public static bool TryGetOpDef(string opType, out OpDef opDef)
    {
        ArgumentNullException.ThrowIfNull(opType);
        if (OpDefs.Registered.TryGetValue(opType, out var def))
        {
            opDef = def.Clone();
            return true;
        }
        opDef = null!;
        return false;
    }
}
