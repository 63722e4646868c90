using Google.Protobuf;
using TensorGraph.Proto;

namespace TensorGraph.Serialization;

/// <summary>Reading and writing protobuf files in binary or text format, with typed errors naming the file.</summary>
public static class ProtoFiles
{
    private static readonly string[] TextExtensions = [".pbtxt", ".txt", ".textproto", ".txtpb", ".textpb", ".prototxt"];

    /// <summary>True when <paramref name="path"/> has a protobuf text-format extension (<c>.pbtxt</c>, <c>.txt</c>, …).</summary>
    public static bool IsTextPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return TextExtensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Reads a message from a file, in text format for text extensions and binary otherwise.</summary>
    public static T Read<T>(string path) where T : IMessage<T>, new()
        => IsTextPath(path) ? ReadText<T>(path) : ReadBinary<T>(path);

    /// <summary>Reads a binary-encoded message; corrupt or truncated data gives a <see cref="DataLossException"/> naming the file.</summary>
    public static T ReadBinary<T>(string path) where T : IMessage<T>, new()
        => ParseBinary<T>(ReadAllBytes(path), path);

    /// <summary>Parses binary protobuf bytes; <paramref name="source"/> names the data in errors.</summary>
    public static T ParseBinary<T>(byte[] data, string source = "<bytes>") where T : IMessage<T>, new()
    {
        ArgumentNullException.ThrowIfNull(data);
        try
        {
            var m = new T();
            m.MergeFrom(data);
            return m;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new DataLossException($"Can't parse '{source}' as binary {new T().Descriptor.Name} proto: {e.Message}", e);
        }
    }

    /// <summary>Reads a text-format message; syntax errors give a <see cref="TextFormatException"/> naming the file and position.</summary>
    public static T ReadText<T>(string path) where T : IMessage<T>, new()
    {
        var bytes = ReadAllBytes(path);
        string text;
        try
        {
            text = new System.Text.UTF8Encoding(false, true).GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new TextFormatException("File is not valid UTF-8 text", 0, 0, e, path);
        }
        try
        {
            return TextFormat.Parse<T>(text);
        }
        catch (TextFormatException e)
        {
            throw new TextFormatException(e.Detail, e.Line, e.Column, e, path);
        }
    }

    /// <summary>
    /// Writes a message: text format for text extensions, binary otherwise. The file is replaced
    /// atomically (temporary file, then rename): a failure leaves any previous file unchanged.
    /// </summary>
    public static void Write(string path, IMessage message)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(message);
        if (IsTextPath(path)) AtomicFile.WriteAllText(path, TextFormat.Print(message));
        else AtomicFile.Write(path, message.WriteTo);
    }

    private static byte[] ReadAllBytes(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"File not found: '{path}'", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TensorGraphException(ErrorCode.Unknown, $"Could not read '{path}': {e.Message}", e);
        }
    }
}
