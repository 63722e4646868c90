// Classic TF1 example programs ported line by line: run one, several or all of them.
using System.CommandLine;
using TensorGraph.Examples.Classics;

var names = new Argument<string[]>("names") { Description = "Classics to run (default: all). --list shows them.", Arity = ArgumentArity.ZeroOrMore };
var list = new Option<bool>("--list") { Description = "List the classics and exit." };
var shortRun = new Option<bool>("--short") { Description = "Run a few hundred steps instead of the original count." };
var outputDir = new Option<string?>("--output_dir") { Description = "Where checkpoints and event files go (default: a folder in the temp directory)." };
var root = new RootCommand("Classic TensorFlow 1.x example programs ported to TensorGraph.") { names, list, shortRun, outputDir };
root.SetAction(parse =>
{
    if (parse.GetValue(list))
    {
        foreach (var c in ClassicsCatalog.All) Console.WriteLine($"{c.Name,-22} {c.Description}");
        return 0;
    }
    var options = new ClassicOptions { Short = parse.GetValue(shortRun), OutputDir = parse.GetValue(outputDir) ?? new ClassicOptions().OutputDir };
    var chosen = parse.GetValue(names) is { Length: > 0 } n ? n : ClassicsCatalog.All.Select(c => c.Name).ToArray();
    try
    {
        foreach (var name in chosen)
        {
            var classic = ClassicsCatalog.Get(name);
            Console.WriteLine($"==== {classic.Name}: {classic.Description}");
            classic.Run(options, Console.Out);
        }
        return 0;
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 2;
    }
    catch (TensorGraph.TensorGraphException e)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
});
return root.Parse(args).Invoke();
