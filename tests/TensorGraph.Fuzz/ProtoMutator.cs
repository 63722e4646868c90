using System.Collections;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using TensorGraph.Proto;

namespace TensorGraph.Fuzz;

/// <summary>
/// Structure-aware mutations of a parsed protobuf message, through protobuf reflection so that one
/// mutator serves GraphDef, MetaGraphDef, SavedModel, BundleEntryProto and Event alike: a random
/// field somewhere in the tree gets an interesting integer, a wrong or unknown enum (dtypes), a
/// string from the message's own names (node inputs pointing at other nodes, with output indices
/// and control marks), a resized byte string (tensor_content shorter or longer than the shape),
/// a removed, duplicated or fresh repeated element, or a cleared sub-message. GraphDefs get extra
/// node-level mutations (copy, delete, rewire inputs, swap op types).
/// </summary>
internal static class ProtoMutator
{
    private const int MaxFields = 20000;

    /// <summary>Mutates <paramref name="message"/> in place, 1 to <paramref name="maxStack"/> times.</summary>
    public static void Mutate(IMessage message, Rng rng, int maxStack = 3)
    {
        var pool = new List<string>();
        CollectStrings(message, pool, 0);
        int n = 1 + rng.Next(maxStack);
        for (int i = 0; i < n; i++)
        {
            var graph = FindGraphDef(message, rng);
            if (graph is not null && graph.Node.Count > 0 && rng.OneIn(3)) MutateGraph(graph, rng, pool);
            else if (graph is not null && graph.Node.Count > 0 && rng.OneIn(2)) MutateValues(graph, rng);
            else MutateField(message, rng, pool);
        }
    }

    private static GraphDef? FindGraphDef(IMessage m, Rng rng) => m switch
    {
        GraphDef g => g,
        MetaGraphDef meta => meta.GraphDef,
        SavedModel sm when sm.MetaGraphs.Count > 0 => rng.Pick(sm.MetaGraphs).GraphDef,
        _ => null,
    };

    private static void MutateGraph(GraphDef g, Rng rng, List<string> pool)
    {
        var nodes = g.Node;
        var node = rng.Pick(nodes);
        switch (rng.Next(7))
        {
            case 0: // duplicate a node (same name, or a fresh one)
                {
                    var copy = node.Clone();
                    if (rng.OneIn(2)) copy.Name += "_fz" + rng.Next(100).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    nodes.Insert(rng.Next(nodes.Count + 1), copy);
                    break;
                }
            case 1:
                nodes.Remove(node);
                break;
            case 2: // rewire an input to another node, output index or control edge
                {
                    var target = rng.Pick(nodes).Name;
                    string input = rng.Next(4) switch
                    {
                        0 => "^" + target,
                        1 => target + ":" + (rng.OneIn(2) ? rng.Next(4) : ByteMutator.Interesting(rng)).ToString(System.Globalization.CultureInfo.InvariantCulture),
                        2 => node.Name, // a self loop
                        _ => target,
                    };
                    if (node.Input.Count > 0 && rng.OneIn(2)) node.Input[rng.Next(node.Input.Count)] = input;
                    else node.Input.Insert(rng.Next(node.Input.Count + 1), input);
                    break;
                }
            case 3:
                if (node.Input.Count > 0) node.Input.RemoveAt(rng.Next(node.Input.Count));
                break;
            case 4: // another node's op type with this node's attrs and inputs
                node.Op = rng.Pick(nodes).Op;
                break;
            case 5: // move an attr from one node to another
                {
                    var other = rng.Pick(nodes);
                    if (other.Attr.Count == 0) break;
                    var kv = other.Attr.ElementAt(rng.Next(other.Attr.Count));
                    node.Attr[kv.Key] = kv.Value.Clone();
                    break;
                }
            default: // reorder
                {
                    nodes.Remove(node);
                    nodes.Insert(rng.Next(nodes.Count + 1), node);
                    break;
                }
        }
        _ = pool;
    }

    // Targeted: the values build-time inference reads — integer constants (shapes, axes,
    // multiples, paddings), shape attrs (placeholders), dtype attrs and list attrs (ksize, strides).
    private static void MutateValues(GraphDef g, Rng rng)
    {
        var node = rng.Pick(g.Node);
        if (node.Attr.Count == 0) return;
        var kv = node.Attr.ElementAt(rng.Next(node.Attr.Count));
        var v = kv.Value;
        long Dim() => rng.Next(4) switch
        {
            0 => ByteMutator.Interesting(rng),
            1 => rng.Range(-3, 3),
            _ => rng.Range(-1, 8),
        };
        switch (v.ValueCase)
        {
            case AttrValue.ValueOneofCase.Tensor:
                {
                    var t = v.Tensor;
                    if (rng.OneIn(4) && t.TensorShape is { } ts)
                    {
                        if (ts.Dim.Count > 0 && rng.OneIn(2)) ts.Dim[rng.Next(ts.Dim.Count)].Size = Dim();
                        else ts.Dim.Add(new TensorShapeProto.Types.Dim { Size = Dim() });
                        break;
                    }
                    // Decode int32/int64 contents into the *_val lists, change one value, keep the rest.
                    if (t.Dtype == DataType.DtInt32)
                    {
                        if (t.TensorContent.Length > 0)
                        {
                            var ints = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(t.TensorContent.Span).ToArray();
                            t.TensorContent = ByteString.Empty;
                            t.IntVal.AddRange(ints);
                        }
                        if (t.IntVal.Count == 0) t.IntVal.Add(0);
                        t.IntVal[rng.Next(t.IntVal.Count)] = unchecked((int)Dim());
                    }
                    else if (t.Dtype == DataType.DtInt64)
                    {
                        if (t.TensorContent.Length > 0)
                        {
                            var longs = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(t.TensorContent.Span).ToArray();
                            t.TensorContent = ByteString.Empty;
                            t.Int64Val.AddRange(longs);
                        }
                        if (t.Int64Val.Count == 0) t.Int64Val.Add(0);
                        t.Int64Val[rng.Next(t.Int64Val.Count)] = Dim();
                    }
                    else
                    {
                        t.Dtype = rng.Pick([DataType.DtInt32, DataType.DtInt64, DataType.DtFloat, DataType.DtString, DataType.DtBool, (DataType)rng.Range(0, 30)]);
                    }
                    break;
                }
            case AttrValue.ValueOneofCase.Shape:
                {
                    var sh = v.Shape;
                    if (rng.OneIn(6)) sh.UnknownRank = !sh.UnknownRank;
                    else if (sh.Dim.Count > 0 && !rng.OneIn(3)) sh.Dim[rng.Next(sh.Dim.Count)].Size = Dim();
                    else sh.Dim.Add(new TensorShapeProto.Types.Dim { Size = Dim() });
                    break;
                }
            case AttrValue.ValueOneofCase.Type:
                v.Type = rng.Pick([DataType.DtInt32, DataType.DtInt64, DataType.DtFloat, DataType.DtDouble, DataType.DtString, DataType.DtBool, DataType.DtUint8, DataType.DtResource, (DataType)rng.Range(0, 30), (DataType)(rng.Range(1, 30) + 100)]);
                break;
            case AttrValue.ValueOneofCase.I:
                v.I = Dim();
                break;
            case AttrValue.ValueOneofCase.List:
                if (v.List.I.Count > 0) v.List.I[rng.Next(v.List.I.Count)] = Dim();
                else if (rng.OneIn(2)) v.List.I.Add(Dim());
                break;
        }
    }

    private static void CollectStrings(IMessage m, List<string> pool, int depth)
    {
        if (depth > 64 || pool.Count > 2000) return;
        foreach (var f in m.Descriptor.Fields.InDeclarationOrder())
        {
            var v = f.Accessor.GetValue(m);
            if (v is null) continue;
            if (f.IsMap)
            {
                foreach (DictionaryEntry e in (IDictionary)v)
                {
                    if (e.Key is string k) pool.Add(k);
                    if (e.Value is IMessage sub) CollectStrings(sub, pool, depth + 1);
                }
            }
            else if (f.IsRepeated)
            {
                foreach (var item in (IList)v)
                {
                    if (item is string s) pool.Add(s);
                    else if (item is IMessage sub) CollectStrings(sub, pool, depth + 1);
                }
            }
            else if (v is string s && s.Length > 0) pool.Add(s);
            else if (v is IMessage sub) CollectStrings(sub, pool, depth + 1);
        }
    }

    // Every (message, field) pair in the tree, including unset ones, so a mutation can also set a field.
    private static void CollectFields(IMessage m, List<(IMessage Owner, FieldDescriptor Field)> acc, int depth)
    {
        if (depth > 64 || acc.Count > MaxFields) return;
        foreach (var f in m.Descriptor.Fields.InDeclarationOrder())
        {
            acc.Add((m, f));
            var v = f.Accessor.GetValue(m);
            if (v is null) continue;
            if (f.IsMap)
            {
                foreach (DictionaryEntry e in (IDictionary)v)
                    if (e.Value is IMessage sub) CollectFields(sub, acc, depth + 1);
            }
            else if (f.IsRepeated)
            {
                if (f.FieldType == FieldType.Message)
                    foreach (var item in (IList)v) CollectFields((IMessage)item, acc, depth + 1);
            }
            else if (v is IMessage sub) CollectFields(sub, acc, depth + 1);
        }
    }

    private static void MutateField(IMessage root, Rng rng, List<string> pool)
    {
        var fields = new List<(IMessage Owner, FieldDescriptor Field)>();
        CollectFields(root, fields, 0);
        if (fields.Count == 0) return;
        // Prefer fields that are set (they matter to the reader), but sometimes set an unset one.
        (IMessage owner, FieldDescriptor f) = rng.Pick(fields);
        for (int tries = 0; tries < 4 && !IsSet(owner, f) && !rng.OneIn(4); tries++) (owner, f) = rng.Pick(fields);
        var value = f.Accessor.GetValue(owner);
        if (f.IsMap)
        {
            var map = (IDictionary)value;
            var keys = map.Keys.Cast<object>().ToList();
            if (keys.Count > 0 && rng.OneIn(2))
            {
                map.Remove(rng.Pick(keys));
            }
            else if (keys.Count > 0)
            {
                var k = rng.Pick(keys);
                var v = map[k];
                object newKey = k is string && pool.Count > 0 ? rng.Pick(pool) : k;
                map[newKey] = v is IMessage vm ? CloneMessage(vm) : v;
            }
            return;
        }
        if (f.IsRepeated)
        {
            var list = (IList)value;
            switch (rng.Next(list.Count == 0 ? 1 : 5))
            {
                case 0: // add
                    {
                        object? item = list.Count > 0 && rng.OneIn(2) ? CloneItem(list[rng.Next(list.Count)]) : NewValue(f, rng, pool);
                        if (item is not null) list.Insert(rng.Next(list.Count + 1), item);
                        break;
                    }
                case 1:
                    list.RemoveAt(rng.Next(list.Count));
                    break;
                case 2: // change one element
                    {
                        int i = rng.Next(list.Count);
                        if (list[i] is IMessage sub) MutateField(sub, rng, pool);
                        else if (NewValue(f, rng, pool) is { } nv) list[i] = nv;
                        break;
                    }
                case 3: // many copies (big repeated fields)
                    {
                        var item = list[rng.Next(list.Count)];
                        int times = rng.Range(2, rng.OneIn(4) ? 300 : 10);
                        for (int t = 0; t < times; t++) list.Add(CloneItem(item));
                        break;
                    }
                default:
                    list.Clear();
                    break;
            }
            return;
        }
        if (f.FieldType == FieldType.Message)
        {
            if (value is IMessage sub && !rng.OneIn(4)) MutateField(sub, rng, pool);
            else if (value is not null && rng.OneIn(2)) f.Accessor.Clear(owner);
            else f.Accessor.SetValue(owner, NewValue(f, rng, pool));
            return;
        }
        if (NewValue(f, rng, pool, value) is { } x) f.Accessor.SetValue(owner, x);
    }

    private static bool IsSet(IMessage owner, FieldDescriptor f)
    {
        var v = f.Accessor.GetValue(owner);
        return v switch
        {
            null => false,
            IList l => l.Count > 0,
            IDictionary d => d.Count > 0,
            string s => s.Length > 0,
            ByteString b => b.Length > 0,
            bool b => b,
            _ => !v.Equals(Activator.CreateInstance(v.GetType())),
        };
    }

    private static object CloneItem(object? item) => item is IMessage m ? CloneMessage(m) : item!;

    private static IMessage CloneMessage(IMessage m)
    {
        var c = (IMessage)Activator.CreateInstance(m.GetType())!;
        c.MergeFrom(m.ToByteString());
        return c;
    }

    private static object? NewValue(FieldDescriptor f, Rng rng, List<string> pool, object? current = null)
    {
        long I() => rng.OneIn(3) && current is not null and not string and not ByteString and not bool
            ? Convert.ToInt64(current, System.Globalization.CultureInfo.InvariantCulture) + rng.Range(-3, 3)
            : ByteMutator.Interesting(rng);
        switch (f.FieldType)
        {
            case FieldType.Int32:
            case FieldType.SInt32:
            case FieldType.SFixed32:
                return unchecked((int)I());
            case FieldType.UInt32:
            case FieldType.Fixed32:
                return unchecked((uint)I());
            case FieldType.Int64:
            case FieldType.SInt64:
            case FieldType.SFixed64:
                return I();
            case FieldType.UInt64:
            case FieldType.Fixed64:
                return unchecked((ulong)I());
            case FieldType.Bool:
                return current is bool b ? !b : rng.OneIn(2);
            case FieldType.Float:
                return rng.Pick([0f, -0f, 1f, -1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, float.Epsilon, 1e30f]);
            case FieldType.Double:
                return rng.Pick([0d, -0d, 1d, -1d, double.NaN, double.PositiveInfinity, double.MaxValue, double.Epsilon, 1e300]);
            case FieldType.Enum:
                {
                    var values = f.EnumType.Values;
                    int v = rng.Next(5) switch
                    {
                        0 => (int)ByteMutator.Interesting(rng),
                        1 => rng.Range(-2, 130),
                        _ => values[rng.Next(values.Count)].Number,
                    };
                    return Enum.ToObject(f.EnumType.ClrType, v);
                }
            case FieldType.String:
                {
                    string s = pool.Count > 0 ? rng.Pick(pool) : "x";
                    return rng.Next(7) switch
                    {
                        0 => "",
                        1 => s + ":" + rng.Next(3).ToString(System.Globalization.CultureInfo.InvariantCulture),
                        2 => "^" + s,
                        3 => s + "/" + s,
                        4 => new string('a', rng.Range(1, 2000)),
                        5 => s + (char)rng.Range(0, 0x2FF),
                        _ => s,
                    };
                }
            case FieldType.Bytes:
                {
                    var cur = current is ByteString bs ? bs.ToByteArray() : [];
                    byte[] next = rng.Next(4) switch
                    {
                        0 => cur.Length > 0 ? cur.AsSpan(0, rng.Next(cur.Length)).ToArray() : [],
                        1 => [.. cur, .. new byte[rng.Range(1, 64)]],
                        2 => ByteMutator.Mutate(cur, rng, null),
                        _ => new byte[rng.Range(0, 16) * rng.Pick([1, 2, 4, 8])],
                    };
                    return ByteString.CopyFrom(next);
                }
            case FieldType.Message:
                {
                    var m = (IMessage)Activator.CreateInstance(f.MessageType.ClrType)!;
                    if (rng.OneIn(2)) MutateField(m, rng, pool);
                    return m;
                }
            default:
                return null;
        }
    }
}
