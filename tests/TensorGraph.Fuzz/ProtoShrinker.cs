using System.Collections;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace TensorGraph.Fuzz;

/// <summary>Valid, smaller variants of a serialized message: one repeated element, map entry or set field removed.</summary>
internal static class ProtoShrinker
{
    public static IEnumerable<byte[]> Candidates<T>(byte[] bytes) where T : class, IMessage<T>, new()
    {
        T root;
        try
        {
            root = new T();
            root.MergeFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            yield break;
        }
        // Count the removable places once, then produce each removal on a fresh copy.
        int places = Visit(root, -1);
        for (int i = 0; i < places; i++)
        {
            var copy = new T();
            copy.MergeFrom(bytes);
            Visit(copy, i);
            yield return copy.ToByteArray();
        }
    }

    // Walks the tree in a fixed order; removes the place numbered `remove` (or none when -1); returns the count.
    private static int Visit(IMessage m, int remove)
    {
        int n = 0;
        bool Take() => n++ == remove;
        void Walk(IMessage msg, int depth)
        {
            if (depth > 64 || (remove >= 0 && n > remove)) return;
            foreach (var f in msg.Descriptor.Fields.InDeclarationOrder())
            {
                var v = f.Accessor.GetValue(msg);
                if (v is null) continue;
                if (f.IsMap)
                {
                    var map = (IDictionary)v;
                    foreach (var key in map.Keys.Cast<object>().ToList())
                    {
                        if (Take())
                        {
                            map.Remove(key);
                            return;
                        }
                        if (map[key] is IMessage sub) Walk(sub, depth + 1);
                    }
                }
                else if (f.IsRepeated)
                {
                    var list = (IList)v;
                    for (int i = 0; i < list.Count; i++)
                    {
                        if (Take())
                        {
                            list.RemoveAt(i);
                            return;
                        }
                        if (list[i] is IMessage sub) Walk(sub, depth + 1);
                    }
                }
                else if (f.FieldType == FieldType.Message)
                {
                    if (Take())
                    {
                        f.Accessor.Clear(msg);
                        return;
                    }
                    Walk((IMessage)v, depth + 1);
                }
                else if (v is string { Length: > 0 } or ByteString { Length: > 0 })
                {
                    if (Take())
                    {
                        f.Accessor.Clear(msg);
                        return;
                    }
                }
            }
        }
        Walk(m, 0);
        return n;
    }
}
