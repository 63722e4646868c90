using System.Collections.Frozen;
using Google.Protobuf;
using TensorGraph.Proto;

namespace TensorGraph.Ops;

/// <summary>
/// Builds TensorFlow's <c>OpDef</c> of an op from its declared schema (<see cref="OpSpec.Attrs"/>,
/// <see cref="OpSpec.Inputs"/>, <see cref="OpSpec.Outputs"/>, <see cref="OpSpec.IsStateful"/>),
/// the way TF's <c>OpDefBuilder</c> does from a <c>REGISTER_OP</c>.
/// </summary>
internal static class OpDefs
{
    private static readonly Lazy<FrozenDictionary<string, OpDef>> All = new(() =>
        OpRegistry.All.ToFrozenDictionary(s => s.Type, Build, StringComparer.Ordinal));

    /// <summary>The OpDef of every registered op, by op type (shared instances: clone before handing out).</summary>
    public static FrozenDictionary<string, OpDef> Registered => All.Value;

    /// <summary>
    /// The OpDef of <paramref name="spec"/>. Attrs marked <see cref="AttrSpec.Optional"/> (added
    /// after TensorFlow 1.15) are left out, so the result is the op as TensorFlow 1.15 declares it.
    /// </summary>
    public static OpDef Build(OpSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var def = new OpDef { Name = spec.Type, IsStateful = spec.IsStateful };
        foreach (var a in spec.Inputs) def.InputArg.Add(Arg(a));
        foreach (var a in spec.Outputs) def.OutputArg.Add(Arg(a));
        var lengthAttrs = spec.Inputs.Concat(spec.Outputs)
            .SelectMany(a => new[] { a.NumberAttr, a.TypeListAttr })
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        foreach (var a in spec.Attrs)
        {
            if (a.Optional) continue;
            def.Attr.Add(Attr(a, spec.ImpliedAllowedTypes(a.Name), lengthAttrs.Contains(a.Name)));
        }
        return def;
    }

    private static OpDef.Types.ArgDef Arg(ArgSpec a)
    {
        var arg = new OpDef.Types.ArgDef { Name = a.Name, IsRef = a.IsRef };
        if (a.Type is { } t) arg.Type = t.ToProto();
        if (a.TypeAttr is not null) arg.TypeAttr = a.TypeAttr;
        if (a.NumberAttr is not null) arg.NumberAttr = a.NumberAttr;
        if (a.TypeListAttr is not null) arg.TypeListAttr = a.TypeListAttr;
        return arg;
    }

    private static OpDef.Types.AttrDef Attr(AttrSpec a, IReadOnlyList<DType>? implied, bool isLength)
    {
        var attr = new OpDef.Types.AttrDef { Name = a.Name, Type = a.Type };
        if (a.Default is not null) attr.DefaultValue = a.Default.Clone();
        if ((a.AllowedTypes ?? (a.Type is "type" or "list(type)" ? implied : null)) is { } types)
        {
            var list = new AttrValue.Types.ListValue();
            list.Type.AddRange(types.Select(t => t.ToProto()));
            attr.AllowedValues = new AttrValue { List = list };
        }
        else if (a.AllowedStrings is { } strings)
        {
            var list = new AttrValue.Types.ListValue();
            list.S.AddRange(strings.Select(ByteString.CopyFromUtf8));
            attr.AllowedValues = new AttrValue { List = list };
        }
        // TF's OpDefBuilder gives the length attr of a list argument (N in "N * T", a list(type)
        // attr) a minimum of 1 unless the op declares one.
        if ((a.Minimum ?? (isLength ? 1L : null)) is { } min)
        {
            attr.HasMinimum = true;
            attr.Minimum = min;
        }
        return attr;
    }
}
