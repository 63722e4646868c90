using System.Text.Json;

namespace TensorGraph.Distributed;

/// <summary>A cluster spec or TF_CONFIG that cannot be used; <see cref="Field"/> names the offending JSON field.</summary>
public sealed class ClusterSpecException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ClusterSpecException(string field, string message) : base($"{field}: {message}")
    {
        Field = field;
    }

    /// <summary>Creates the exception.</summary>
    public ClusterSpecException() : this("", "invalid cluster spec") { }

    /// <summary>Creates the exception.</summary>
    public ClusterSpecException(string message) : this("", message) { }

    /// <summary>Creates the exception.</summary>
    public ClusterSpecException(string message, Exception innerException) : base(message, innerException)
    {
        Field = "";
    }

    /// <summary>The JSON path of the bad field (e.g. <c>cluster.ps[1]</c> or <c>task.index</c>).</summary>
    public string Field { get; }
}

/// <summary>
/// TF's <c>tf.train.ClusterSpec</c> plus the task this process plays, read from TF_CONFIG JSON:
/// <c>{"cluster": {"worker": ["host:port", …], "ps": [...], "chief": [...]}, "task": {"type": "worker", "index": 0}}</c>.
/// Addresses are <c>host:port</c>; for a parameter-server task the port is its Orleans silo port and
/// the gateway port is the silo port + <see cref="GatewayPortOffset"/>.
/// </summary>
public sealed class ClusterSpec
{
    /// <summary>The environment variable TF reads (<c>TF_CONFIG</c>).</summary>
    public const string EnvironmentVariable = "TF_CONFIG";

    /// <summary>A ps task's Orleans gateway port is its silo port plus this offset.</summary>
    public const int GatewayPortOffset = 10000;

    private readonly Dictionary<string, string[]> _jobs;

    /// <summary>Creates a spec from job names to task addresses.</summary>
    public ClusterSpec(IReadOnlyDictionary<string, string[]> jobs, string? taskType = null, int taskIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        _jobs = jobs.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
        foreach (var (job, tasks) in _jobs)
        {
            if (job.Length == 0) throw new ClusterSpecException("cluster", "a job name is empty");
            for (int i = 0; i < tasks.Length; i++) ParseAddress(tasks[i], $"cluster.{job}[{i}]");
        }
        if (taskType is not null)
        {
            if (!_jobs.TryGetValue(taskType, out var tasks))
                throw new ClusterSpecException("task.type", $"'{taskType}' is not a job of the cluster ({string.Join(", ", _jobs.Keys)})");
            if (taskIndex < 0 || taskIndex >= tasks.Length)
                throw new ClusterSpecException("task.index", $"{taskIndex} is out of range: job '{taskType}' has {tasks.Length} task(s)");
        }
        else if (taskIndex != 0) throw new ClusterSpecException("task.type", "missing while task.index is given");
        TaskType = taskType;
        TaskIndex = taskIndex;
    }

    /// <summary>Job names (e.g. <c>ps</c>, <c>worker</c>, <c>chief</c>).</summary>
    public IReadOnlyCollection<string> Jobs => _jobs.Keys;

    /// <summary>The task type of this process, or null when the spec names none.</summary>
    public string? TaskType { get; }

    /// <summary>The index of this process within its job.</summary>
    public int TaskIndex { get; }

    /// <summary>The addresses of <paramref name="job"/>'s tasks (empty when the job is absent).</summary>
    public IReadOnlyList<string> Tasks(string job) => _jobs.TryGetValue(job, out var t) ? t : [];

    /// <summary>Number of parameter-server tasks (<c>ps</c> job).</summary>
    public int NumPs => Tasks("ps").Count;

    /// <summary>
    /// Number of training replicas: the <c>worker</c> tasks plus the <c>chief</c> task when the
    /// cluster has one (TF's TF_CONFIG convention).
    /// </summary>
    public int NumReplicas => Tasks("worker").Count + Tasks("chief").Count;

    /// <summary>
    /// This task's replica index: the chief is replica 0 and worker i is replica i+1 when a
    /// <c>chief</c> job exists, otherwise worker i is replica i.
    /// </summary>
    public int ReplicaIndex => TaskType switch
    {
        "chief" => 0,
        "worker" => TaskIndex + Tasks("chief").Count,
        _ => throw new ClusterSpecException("task.type", $"'{TaskType ?? "(none)"}' is not a training replica (chief or worker)"),
    };

    /// <summary>Whether this task is the chief: the <c>chief</c> task, or worker 0 when there is none (TF's rule).</summary>
    public bool IsChief => TaskType == "chief" || (TaskType == "worker" && TaskIndex == 0 && Tasks("chief").Count == 0);

    /// <summary>The host and port of task <paramref name="index"/> of <paramref name="job"/>.</summary>
    public (string Host, int Port) Address(string job, int index)
    {
        var tasks = Tasks(job);
        if (index < 0 || index >= tasks.Count) throw new ClusterSpecException($"cluster.{job}", $"has no task {index}");
        return ParseAddress(tasks[index], $"cluster.{job}[{index}]");
    }

    /// <summary>Parses TF_CONFIG JSON.</summary>
    public static ClusterSpec Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ClusterSpecException("$", $"not valid JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new ClusterSpecException("$", $"expected an object, got {root.ValueKind}");
            if (!root.TryGetProperty("cluster", out var cluster)) throw new ClusterSpecException("cluster", "missing");
            if (cluster.ValueKind != JsonValueKind.Object) throw new ClusterSpecException("cluster", $"expected an object of job name to address list, got {cluster.ValueKind}");
            var jobs = new Dictionary<string, string[]>(StringComparer.Ordinal);
            foreach (var job in cluster.EnumerateObject())
            {
                if (job.Value.ValueKind != JsonValueKind.Array)
                    throw new ClusterSpecException($"cluster.{job.Name}", $"expected an array of \"host:port\" strings, got {job.Value.ValueKind}");
                var list = new List<string>();
                int i = 0;
                foreach (var a in job.Value.EnumerateArray())
                {
                    if (a.ValueKind != JsonValueKind.String) throw new ClusterSpecException($"cluster.{job.Name}[{i}]", $"expected a \"host:port\" string, got {a.ValueKind}");
                    list.Add(a.GetString()!);
                    i++;
                }
                jobs[job.Name] = [.. list];
            }
            string? type = null;
            int index = 0;
            if (root.TryGetProperty("task", out var task))
            {
                if (task.ValueKind != JsonValueKind.Object) throw new ClusterSpecException("task", $"expected an object, got {task.ValueKind}");
                if (task.TryGetProperty("type", out var t))
                {
                    if (t.ValueKind != JsonValueKind.String) throw new ClusterSpecException("task.type", $"expected a string, got {t.ValueKind}");
                    type = t.GetString();
                }
                if (task.TryGetProperty("index", out var ix))
                {
                    if (ix.ValueKind != JsonValueKind.Number || !ix.TryGetInt32(out index))
                        throw new ClusterSpecException("task.index", $"expected an integer, got {ix.GetRawText()}");
                }
            }
            return new ClusterSpec(jobs, type, index);
        }
    }

    /// <summary>Reads the spec from the TF_CONFIG environment variable; null when it is unset or empty.</summary>
    public static ClusterSpec? FromEnvironment()
    {
        var s = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(s) ? null : Parse(s);
    }

    /// <summary>Reads the spec from a JSON file.</summary>
    public static ClusterSpec FromFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new ClusterSpecException("$", $"cluster spec file '{path}' does not exist");
        return Parse(File.ReadAllText(path));
    }

    /// <summary>This spec with a different task (TF_CONFIG's <c>task</c> object).</summary>
    public ClusterSpec WithTask(string taskType, int taskIndex) => new(_jobs, taskType, taskIndex);

    /// <summary>The TF_CONFIG JSON of this spec.</summary>
    public string ToJson()
    {
        var o = new Dictionary<string, object> { ["cluster"] = _jobs };
        if (TaskType is not null) o["task"] = new Dictionary<string, object> { ["type"] = TaskType, ["index"] = TaskIndex };
        return JsonSerializer.Serialize(o);
    }

    private static (string Host, int Port) ParseAddress(string address, string field)
    {
        if (string.IsNullOrWhiteSpace(address)) throw new ClusterSpecException(field, "empty address");
        int colon = address.LastIndexOf(':');
        if (colon <= 0 || colon == address.Length - 1)
            throw new ClusterSpecException(field, $"'{address}' is not \"host:port\"");
        if (!int.TryParse(address.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) || port is <= 0 or > 65535)
            throw new ClusterSpecException(field, $"'{address}' has no valid port (1-65535)");
        return (address[..colon], port);
    }
}
