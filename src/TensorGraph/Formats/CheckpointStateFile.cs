using System.Text;
using TensorGraph.Proto;

namespace TensorGraph.Serialization;

/// <summary>
/// Reads and writes the <c>checkpoint</c> file of a checkpoint directory: a <c>CheckpointState</c>
/// in protobuf text format (<c>model_checkpoint_path: "..."</c> and one
/// <c>all_model_checkpoint_paths: "..."</c> line per kept checkpoint).
/// </summary>
public static class CheckpointStateFile
{
    /// <summary>The file name TensorFlow uses.</summary>
    public const string FileName = "checkpoint";

    /// <summary>Formats <paramref name="state"/> as protobuf text.</summary>
    public static string Format(CheckpointState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return TextFormat.Print(state);
    }

    /// <summary>Parses the text form of a <c>CheckpointState</c>; malformed text is a DataLossException.</summary>
    public static CheckpointState Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            return TextFormat.Parse<CheckpointState>(text);
        }
        catch (TextFormatException e)
        {
            throw new DataLossException($"Cannot parse checkpoint state: {e.Detail} at line {e.Line}, column {e.Column}", e);
        }
    }

    /// <summary>Reads the <c>checkpoint</c> file in <paramref name="directory"/>, or null when there is none.</summary>
    public static CheckpointState? Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return null;
        return Parse(File.ReadAllText(path, Encoding.UTF8));
    }

    /// <summary>Writes <c>dir/checkpoint</c> atomically (temporary file, then rename).</summary>
    public static void Write(string directory, CheckpointState state)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        AtomicFile.WriteAllText(path, Format(state));
    }
}
