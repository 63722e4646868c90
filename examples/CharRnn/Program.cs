// A character-level LSTM language model (TF1 style): embedding, 2 x LSTMCell(128), dynamic_rnn,
// softmax over characters, Adam with clip_by_global_norm; prints the loss per epoch, saves a
// checkpoint, then samples text from the trained model.
//
//   dotnet run -c Release --project examples/CharRnn [-- --epochs N --steps-per-epoch N --out DIR]
using TensorGraph.Examples;

var options = new CharRnnOptions();
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--epochs": options.Epochs = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--steps-per-epoch": options.StepsPerEpoch = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--out": options.OutputDir = args[i + 1]; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
CharRnnExample.Run(options, Console.Out);
return 0;
