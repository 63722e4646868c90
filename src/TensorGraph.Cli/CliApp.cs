using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Globalization;

namespace TensorGraph.Cli;

/// <summary>The exit codes of <c>tensorgraph</c>, one per kind of failure.</summary>
public enum ExitCode
{
    /// <summary>Success.</summary>
    Ok = 0,
    /// <summary>The command line is wrong: unknown command or option, missing or bad argument, conflicting options.</summary>
    Usage = 1,
    /// <summary>The input is invalid: a malformed, corrupt or unsupported model, checkpoint or feed, or a TensorGraph error while running the model.</summary>
    InvalidInput = 2,
    /// <summary>A file or folder is missing, cannot be read or cannot be written.</summary>
    Io = 3,
    /// <summary>Memory or another resource ran out.</summary>
    ResourceExhausted = 4,
    /// <summary>A bug in TensorGraph (BSD's EX_SOFTWARE).</summary>
    Internal = 70,
}

/// <summary>An error the CLI reports as one line (the file concerned and the problem).</summary>
public sealed class CliException : Exception
{
    /// <summary>An error of the kind <paramref name="kind"/>.</summary>
    public CliException(ExitCode kind, string message, Exception? inner = null)
        : base(message, inner) => Kind = kind;

    /// <summary>
    /// An error about the input: its kind is that of <paramref name="inner"/> when it is a typed
    /// TensorGraph or file-system error (see <see cref="CliApp.Classify"/>), else <see cref="ExitCode.InvalidInput"/>.
    /// </summary>
    public CliException(string message, Exception? inner = null)
        : base(message, inner) => Kind = inner is null || CliApp.Classify(inner) is ExitCode.Internal ? ExitCode.InvalidInput : CliApp.Classify(inner);

    /// <summary>The kind of failure, which is also the exit code.</summary>
    public ExitCode Kind { get; }
}

/// <summary>
/// The <c>tensorgraph</c> command line: <c>inspect</c>, <c>run</c>, <c>convert</c>, <c>freeze</c>,
/// <c>events</c>, <c>ckpt</c>, <c>ops</c>, <c>serve</c>, <c>server</c>, <c>ps</c> and <c>worker</c>. <see cref="Run"/> is the whole program, usable in-process.
/// </summary>
public static class CliApp
{
    /// <summary>The exit-code table, as the help text shows it.</summary>
    public const string ExitCodesHelp =
        """
        Exit codes:
          0   success
          1   usage error: unknown command or option, missing or bad argument
          2   invalid input: malformed or unsupported model, checkpoint or feed, or an error raised
              while running the model
          3   I/O error: a file or folder is missing, unreadable or unwritable
          4   resource exhausted: out of memory or another resource
          70  internal error (a bug in TensorGraph)
        Errors are one line on stderr: 'tensorgraph: error: <category>: <message>'
        (--verbose adds details).
        """;

    /// <summary>Runs the command line <paramref name="args"/>, writing to the given writers; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show full error details (stack traces).", Recursive = true };
        var root = new RootCommand("TensorGraph: inspect, run, convert and freeze TensorFlow 1.x graphs, SavedModels, checkpoints and event files.");
        root.Options.Add(verbose);

        // inspect
        var inspectModel = new Argument<string>("MODEL") { Description = "A .pb/.pbtxt GraphDef, a .meta MetaGraphDef or a SavedModel directory." };
        var inspectTag = new Option<string?>("--tag") { Description = "Only this SavedModel tag set (comma-separated); default: all." };
        var inspectStrict = new Option<bool>("--strict") { Description = "Fail (exit 2) when the graph uses op types TensorGraph does not implement." };
        var inspect = new Command("inspect", "Summarize a model: op types, unsupported op types, placeholders, likely outputs, variables, signatures.")
            { inspectModel, inspectTag, inspectStrict };
        inspect.SetAction(p => Guard(p.GetValue(verbose), stderr, () => Inspector.Inspect(p.GetValue(inspectModel)!, p.GetValue(inspectTag), stdout, p.GetValue(inspectStrict))));
        root.Subcommands.Add(inspect);

        // run
        var runModel = new Argument<string>("MODEL") { Description = "A .pb/.pbtxt GraphDef, a .meta MetaGraphDef or a SavedModel directory." };
        var tag = new Option<string>("--tag") { Description = "SavedModel tag set (comma-separated).", DefaultValueFactory = _ => "serve" };
        var signature = new Option<string?>("--signature") { Description = "SavedModel signature key; feeds and fetches then name its inputs and outputs." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint prefix to restore variables from, or a directory (a model_dir) whose 'checkpoint' file names the latest." };
        var strict = new Option<bool>("--strict") { Description = "Refuse a graph with op types TensorGraph does not implement (by default such nodes are kept and only a run needing them fails)." };
        var feed = new Option<string[]>("--feed") { Description = "NAME=VALUE: VALUE is a JSON literal or @file.npy.", AllowMultipleArgumentsPerToken = false };
        var fetch = new Option<string[]>("--fetch") { Description = "Tensor (name:k) or op to fetch/run; with --signature an output key." };
        var outDir = new Option<string?>("--out") { Description = "Write each fetched tensor to DIR/<name>.npy." };
        var json = new Option<bool>("--json") { Description = "Print the fetched tensors as JSON." };
        var timeoutMs = new Option<long>("--timeout_ms") { Description = "Stop the run after this many milliseconds (TF's RunOptions.timeout_in_ms; 0 = none), e.g. when a fetch waits on an input queue nothing fills." };
        var trace = new Option<string?>("--trace") { Description = "Trace the run (TF's RunOptions FULL_TRACE): write its Chrome trace JSON (chrome://tracing, ui.perfetto.dev) to this file and print a per-op-type time summary to stderr." };
        var run = new Command("run", "Run a model: feed tensors and print the fetched ones.") { runModel, tag, signature, checkpoint, feed, fetch, outDir, json, strict, timeoutMs, trace };
        run.SetAction(p => Guard(p.GetValue(verbose), stderr, () => Runner.Run(new RunOptions
        {
            Model = p.GetValue(runModel)!,
            Tags = p.GetValue(tag) ?? "serve",
            Signature = p.GetValue(signature),
            Checkpoint = p.GetValue(checkpoint),
            Feeds = p.GetValue(feed) ?? [],
            Fetches = p.GetValue(fetch) ?? [],
            OutDir = p.GetValue(outDir),
            Json = p.GetValue(json),
            Strict = p.GetValue(strict),
            TimeoutMs = p.GetValue(timeoutMs),
            TracePath = p.GetValue(trace),
        }, stdout, stderr)));
        root.Subcommands.Add(run);

        // convert
        var convIn = new Argument<string>("IN") { Description = "Input graph (.pb binary or .pbtxt text; .meta for a MetaGraphDef)." };
        var convOut = new Argument<string>("OUT") { Description = "Output file; its extension picks the format." };
        var convert = new Command("convert", "Convert a GraphDef/MetaGraphDef between binary (.pb) and text (.pbtxt).") { convIn, convOut };
        convert.SetAction(p => Guard(p.GetValue(verbose), stderr, () => Commands.Convert(p.GetValue(convIn)!, p.GetValue(convOut)!, stdout)));
        root.Subcommands.Add(convert);

        // freeze
        var frModel = new Argument<string>("MODEL") { Description = "A .pb/.pbtxt GraphDef, a .meta MetaGraphDef or a SavedModel directory." };
        var frOut = new Argument<string>("OUT") { Description = "The frozen GraphDef to write (.pb or .pbtxt)." };
        var frCkpt = new Option<string?>("--checkpoint") { Description = "Checkpoint prefix holding the variable values, or a directory whose 'checkpoint' file names the latest." };
        var frStrict = new Option<bool>("--strict") { Description = "Refuse a graph with op types TensorGraph does not implement." };
        var frOutputs = new Option<string>("--outputs") { Description = "Comma-separated output node names.", Required = true };
        var frTag = new Option<string>("--tag") { Description = "SavedModel tag set (comma-separated).", DefaultValueFactory = _ => "serve" };
        var freeze = new Command("freeze", "Replace variables by constants and prune to the outputs.") { frModel, frOut, frCkpt, frOutputs, frTag, frStrict };
        freeze.SetAction(p => Guard(p.GetValue(verbose), stderr, () => Commands.Freeze(p.GetValue(frModel)!, p.GetValue(frCkpt), p.GetValue(frOutputs)!,
            p.GetValue(frOut)!, p.GetValue(frTag) ?? "serve", stdout, p.GetValue(frStrict))));
        root.Subcommands.Add(freeze);

        // events
        var evFile = new Argument<string>("FILE") { Description = "A TensorFlow event file (events.out.tfevents.*)." };
        var events = new Command("events", "List the scalar summaries of an event file by tag and step.") { evFile };
        events.SetAction(p => Guard(p.GetValue(verbose), stderr, () => Commands.Events(p.GetValue(evFile)!, stdout)));
        root.Subcommands.Add(events);

        // ckpt
        var ckPrefix = new Argument<string>("PREFIX") { Description = "Checkpoint prefix (or its .index file, or a directory with a 'checkpoint' file)." };
        var ckpt = new Command("ckpt", "List the tensors of a V2 checkpoint with dtype and shape.") { ckPrefix };
        ckpt.SetAction(p => Guard(p.GetValue(verbose), stderr, () => Commands.Ckpt(p.GetValue(ckPrefix)!, stdout)));
        root.Subcommands.Add(ckpt);

        // ops
        var opNames = new Argument<string[]>("OP") { Description = "Op types to print (default: every registered op).", Arity = ArgumentArity.ZeroOrMore };
        var ops = new Command("ops", "Print the OpList (TensorFlow text format) of the ops TensorGraph implements.") { opNames };
        ops.SetAction(p => Guard(p.GetValue(verbose), stderr, () => Commands.Ops(p.GetValue(opNames) ?? [], stdout)));
        root.Subcommands.Add(ops);

        // serve
        var sName = new Option<string?>("--model_name") { Description = "Name of the model (with --model_base_path); default 'default'." };
        var sBase = new Option<string?>("--model_base_path") { Description = "Folder of numbered version folders, each a SavedModel; the latest is served and new ones are picked up." };
        var sConfig = new Option<string?>("--model_config_file") { Description = "Text-format ModelServerConfig listing several models (instead of --model_name/--model_base_path)." };
        var sHost = new Option<string>("--host") { Description = "Address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var sPort = new Option<int>("--port") { Description = "gRPC port (0: a free one).", DefaultValueFactory = _ => 8500 };
        var sRest = new Option<int>("--rest_api_port") { Description = "REST port (0: a free one; negative: no REST).", DefaultValueFactory = _ => 8501 };
        var sPoll = new Option<int>("--file_system_poll_wait_seconds") { Description = "Seconds between polls for new versions (0: once at start).", DefaultValueFactory = _ => 1 };
        var sBatch = new Option<bool>("--enable_batching") { Description = "Batch concurrent Predict requests." };
        var sMaxBatch = new Option<int>("--max_batch_size") { Description = "Most rows in one batched run.", DefaultValueFactory = _ => 32 };
        var sTimeout = new Option<long>("--batch_timeout_micros") { Description = "How long a batch waits for more requests.", DefaultValueFactory = _ => 1000 };
        var sCert = new Option<string?>("--ssl_cert") { Description = "PEM certificate: serve gRPC and REST over TLS (with --ssl_key)." };
        var sKey = new Option<string?>("--ssl_key") { Description = "PEM private key for --ssl_cert." };
        var sToken = new Option<string?>("--auth_token_file") { Description = "File holding a token every call must send as 'authorization: Bearer TOKEN'." };
        var sMax = new Option<int>("--max_message_size_bytes") { Description = "Largest request accepted (gRPC message or REST body).", DefaultValueFactory = _ => int.MaxValue };
        var serve = new Command("serve", "Serve SavedModels with TensorFlow Serving's gRPC (PredictionService, ModelService) and REST (/v1/models) APIs.")
        {
            sName, sBase, sConfig, sHost, sPort, sRest, sPoll, sBatch, sMaxBatch, sTimeout, sCert, sKey, sToken, sMax,
        };
        serve.SetAction(p => Guard(p.GetValue(verbose), stderr, () => Server.Serve(new TensorGraph.Serving.ServingOptions
        {
            ModelName = p.GetValue(sName),
            ModelBasePath = p.GetValue(sBase),
            ModelConfigFile = p.GetValue(sConfig),
            Host = p.GetValue(sHost) ?? "127.0.0.1",
            Port = p.GetValue(sPort),
            RestApiPort = p.GetValue(sRest),
            FileSystemPollWaitSeconds = p.GetValue(sPoll),
            Batching = p.GetValue(sBatch)
                ? new TensorGraph.Serving.BatchingOptions { MaxBatchSize = p.GetValue(sMaxBatch), BatchTimeoutMicros = p.GetValue(sTimeout) }
                : null,
            SslCert = p.GetValue(sCert),
            SslKey = p.GetValue(sKey),
            AuthTokenFile = p.GetValue(sToken),
            MaxMessageBytes = p.GetValue(sMax),
        }, stdout)));
        root.Subcommands.Add(serve);

        // server
        var mHost = new Option<string>("--host") { Description = "Address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var mPort = new Option<int>("--port") { Description = "gRPC port (0: a free one).", DefaultValueFactory = _ => 2222 };
        var mCert = new Option<string?>("--ssl_cert") { Description = "PEM certificate: serve over TLS (with --ssl_key)." };
        var mKey = new Option<string?>("--ssl_key") { Description = "PEM private key for --ssl_cert." };
        var mToken = new Option<string?>("--auth_token_file") { Description = "File holding a token every call must send as 'authorization: Bearer TOKEN'." };
        var mMax = new Option<int>("--max_message_size_bytes") { Description = "Largest request accepted.", DefaultValueFactory = _ => int.MaxValue };
        var server = new Command("server", "Run a TensorFlow 1.x master (tensorflow.MasterService) that remote sessions (grpc://host:port) run graphs on.")
        {
            mHost, mPort, mCert, mKey, mToken, mMax,
        };
        server.SetAction(p => Guard(p.GetValue(verbose), stderr, () => Server.Master(new TensorGraph.Serving.Master.MasterServerOptions
        {
            Host = p.GetValue(mHost) ?? "127.0.0.1",
            Port = p.GetValue(mPort),
            SslCert = p.GetValue(mCert),
            SslKey = p.GetValue(mKey),
            AuthTokenFile = p.GetValue(mToken),
            MaxMessageBytes = p.GetValue(mMax),
        }, stdout)));
        root.Subcommands.Add(server);

        // ps / worker
        var dSpec = new Option<string?>("--cluster_spec") { Description = "TF_CONFIG-style JSON file {\"cluster\": {\"ps\": [...], \"worker\": [...]}, \"task\": {...}} (default: the TF_CONFIG environment variable)." };
        var dType = new Option<string?>("--task_type") { Description = "Overrides the spec's task type (worker or chief)." };
        var dIndex = new Option<int?>("--task_index") { Description = "Overrides the spec's task index." };
        var ps = new Command("ps", "Run a parameter-server task of a cluster spec: an Orleans silo holding parameter shards, on the task's port (gateway port + 10000).") { dSpec, dIndex };
        ps.SetAction(p => Guard(p.GetValue(verbose), stderr, () => DistributedCommands.Ps(p.GetValue(dSpec), p.GetValue(dIndex), stdout)));
        root.Subcommands.Add(ps);
        var wSteps = new Option<int>("--steps") { Description = "Global steps to train.", DefaultValueFactory = _ => 200 };
        var wBatch = new Option<int>("--batch_size") { Description = "Examples per replica per step.", DefaultValueFactory = _ => 32 };
        var wOpt = new Option<string>("--optimizer") { Description = "sgd, momentum, adam or rmsprop.", DefaultValueFactory = _ => "sgd" };
        var wLr = new Option<double>("--learning_rate") { Description = "Learning rate.", DefaultValueFactory = _ => 0.1 };
        var wAsync = new Option<bool>("--async") { Description = "Apply each replica's gradients on arrival (TF1's default) instead of SyncReplicasOptimizer's averaged steps." };
        var wAgg = new Option<int?>("--replicas_to_aggregate") { Description = "Gradients averaged per sync step (default: every replica)." };
        var wCkpt = new Option<string?>("--checkpoint_dir") { Description = "The chief's checkpoint folder; training resumes from its latest checkpoint." };
        var wSave = new Option<int>("--save_checkpoint_steps") { Description = "The chief's checkpoint period in global steps.", DefaultValueFactory = _ => 100 };
        var wSumm = new Option<string?>("--summary_dir") { Description = "The chief's summary (event file) folder." };
        var wLog = new Option<int>("--log_every") { Description = "Print the loss every this many steps.", DefaultValueFactory = _ => 10 };
        var wEx = new Option<int>("--examples") { Description = "Size of the synthetic training set (the built-in model).", DefaultValueFactory = _ => 2048 };
        var wGraph = new Option<string?>("--graph") { Description = "Train this graph instead of the built-in MLP: a MetaGraph (.meta, .meta.pbtxt) with variable collections." };
        var wLoss = new Option<string?>("--loss") { Description = "The --graph's scalar float loss tensor (e.g. loss or loss:0)." };
        var wMetric = new Option<string?>("--metric") { Description = "A scalar tensor of --graph printed with the loss." };
        var wFeed = new Option<string[]>("--feed") { Description = "NAME=@file.npy: a data set fed to tensor NAME of --graph, one row per example; replica r of N trains on rows i with i mod N = r.", AllowMultipleArgumentsPerToken = false };
        var wJob = new Option<string>("--job") { Description = "Job name (several jobs can share parameter servers).", DefaultValueFactory = _ => "tensorgraph" };
        var wDelay = new Option<int>("--step_delay_ms") { Description = "Pause after each step (to watch or interrupt a run)." };
        var wConnect = new Option<int>("--connect_timeout_s") { Description = "How long to keep trying to reach the ps tasks at start.", DefaultValueFactory = _ => 60 };
        var worker = new Command("worker", "Run a training replica (worker or chief task of a cluster spec): data-parallel training of a graph file (--graph, --loss, --feed) or of a built-in MLP on synthetic 8x8 digits, with parameters on the ps tasks.")
        {
            dSpec, dType, dIndex, wGraph, wLoss, wMetric, wFeed, wSteps, wBatch, wOpt, wLr, wAsync, wAgg, wCkpt, wSave, wSumm, wLog, wEx, wJob, wDelay, wConnect,
        };
        worker.SetAction(p => Guard(p.GetValue(verbose), stderr, () => DistributedCommands.Worker(new WorkerOptions
        {
            ClusterSpecFile = p.GetValue(dSpec), TaskType = p.GetValue(dType), TaskIndex = p.GetValue(dIndex), Steps = p.GetValue(wSteps),
            BatchSize = p.GetValue(wBatch), Optimizer = p.GetValue(wOpt) ?? "sgd", LearningRate = p.GetValue(wLr), Sync = !p.GetValue(wAsync),
            ReplicasToAggregate = p.GetValue(wAgg), CheckpointDir = p.GetValue(wCkpt), SaveCheckpointSteps = p.GetValue(wSave), SummaryDir = p.GetValue(wSumm),
            GraphFile = p.GetValue(wGraph), Loss = p.GetValue(wLoss), Metric = p.GetValue(wMetric), Feeds = p.GetValue(wFeed) ?? [],
            LogEvery = p.GetValue(wLog), Examples = p.GetValue(wEx), Job = p.GetValue(wJob) ?? "tensorgraph", StepDelayMs = p.GetValue(wDelay), ConnectTimeoutSeconds = p.GetValue(wConnect),
        }, stdout)));
        root.Subcommands.Add(worker);

        foreach (var help in root.Options.OfType<HelpOption>())
        {
            if (help.Action is HelpAction inner) help.Action = new HelpWithExitCodes(inner);
        }

        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            var what = string.Join("; ", parse.Errors.Select(Describe));
            var command = string.Join(' ', Ancestry(parse.CommandResult).Reverse());
            stderr.WriteLine(Format(ExitCode.Usage, $"{what} (see '{command} --help')"));
            return (int)ExitCode.Usage;
        }
        return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
    }

    /// <summary>A parse error's message, naming the missing arguments when the parser does not.</summary>
    private static string Describe(System.CommandLine.Parsing.ParseError error)
    {
        var msg = error.Message.ReplaceLineEndings(" ").Trim();
        if (msg.StartsWith("Required argument missing for command", StringComparison.Ordinal))
        {
            var missing = error.SymbolResult switch
            {
                System.CommandLine.Parsing.ArgumentResult ar => [ar.Argument.Name],
                System.CommandLine.Parsing.CommandResult cr => cr.Command.Arguments.Where(a => cr.GetResult(a) is not { Tokens.Count: > 0 }).Select(a => a.Name).ToArray(),
                _ => Array.Empty<string>(),
            };
            if (missing.Length > 0) msg += " Missing: " + string.Join(", ", missing) + ".";
        }
        return msg;
    }

    private static IEnumerable<string> Ancestry(System.CommandLine.Parsing.CommandResult? result)
    {
        for (var r = result; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            yield return r.Parent is null ? "tensorgraph" : r.Command.Name;
    }

    /// <summary>The standard help, followed by the exit-code table.</summary>
    private sealed class HelpWithExitCodes(HelpAction inner) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            int code = inner.Invoke(parseResult);
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine(ExitCodesHelp);
            return code;
        }
    }

    /// <summary>The category word of an exit code, as it appears in error lines.</summary>
    public static string Category(ExitCode code) => code switch
    {
        ExitCode.Usage => "usage",
        ExitCode.InvalidInput => "invalid input",
        ExitCode.Io => "I/O",
        ExitCode.ResourceExhausted => "resource exhausted",
        _ => "internal error",
    };

    private static string Format(ExitCode code, string message) =>
        string.Create(CultureInfo.InvariantCulture, $"tensorgraph: error: {Category(code)}: {message}");

    /// <summary>
    /// The kind of failure an exception stands for: the CLI's own <see cref="CliException"/>
    /// carries its kind; out-of-memory and <see cref="ResourceExhaustedException"/> are resource
    /// exhaustion; <see cref="InternalException"/> is a bug; a <see cref="NotFoundException"/>
    /// caused by a missing file, and file-system errors, are I/O; other typed TensorGraph errors
    /// are invalid input; anything else is a bug.
    /// </summary>
    public static ExitCode Classify(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e switch
        {
            CliException c => c.Kind,
            TensorGraph.Serving.ServingException { InnerException: { } inner } => Classify(inner),
            TensorGraph.Serving.ServingException => ExitCode.InvalidInput,
            TensorGraph.Distributed.ClusterSpecException => ExitCode.InvalidInput,
            TensorGraph.Distributed.DistributedTrainingException => ExitCode.Io,
            System.Net.Sockets.SocketException => ExitCode.Io,
            OutOfMemoryException or ResourceExhaustedException => ExitCode.ResourceExhausted,
            InternalException => ExitCode.Internal,
            NotFoundException { InnerException: IOException } => ExitCode.Io,
            TensorGraphException => ExitCode.InvalidInput,
            IOException or UnauthorizedAccessException => ExitCode.Io,
            _ => ExitCode.Internal,
        };
    }

    /// <summary>
    /// Runs a command. A failure becomes one line on stderr,
    /// <c>tensorgraph: error: &lt;category&gt;: &lt;message&gt;</c>, and the exit code of its kind
    /// (<see cref="Classify"/>, <see cref="ExitCodesHelp"/>), the same whether it happens while
    /// loading or while running. A bug's message starts with its exception type.
    /// <c>--verbose</c> adds the stack trace.
    /// </summary>
    internal static int Guard(bool verbose, TextWriter stderr, Action action)
    {
        try
        {
            action();
            return (int)ExitCode.Ok;
        }
        catch (Exception e)
        {
            var code = Classify(e);
            var msg = e.Message.ReplaceLineEndings(" ").Trim();
            if (code == ExitCode.Internal) msg = $"{e.GetType().FullName}: {msg}";
            stderr.WriteLine(Format(code, msg));
            if (verbose) stderr.WriteLine(e.ToString());
            return (int)code;
        }
    }
}
