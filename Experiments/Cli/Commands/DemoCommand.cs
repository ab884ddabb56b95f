using System.CommandLine;
using System.Globalization;
using SteerMoE.Research.Demo;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>`steermoe demo [--out RUN_DIR] [--specs DIR]`: every behaviour of the embedded default model, steered both ways beside the random control.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "the run folder (one subfolder per behaviour, demo.csv, report.html)", DefaultValueFactory = _ => "runs/demo" };
        var specs = new Option<string?>("--specs") { Description = $"a folder of behaviour specs (*.yaml); default {DemoRunner.DefaultSpecFolder} of the repository" };
        var seed = new Option<int>("--seed") { Description = "the context seed", DefaultValueFactory = _ => 0 };
        var device = GpuCheckCommand.DeviceOption();
        var command = new Command("demo", "Detect each behaviour's experts, plan, steer both directions with a random-expert control, evaluate, and write CSVs, the registry and a report.") { output, specs, seed, device };
        command.SetAction(result =>
        {
            var engine = GpuCheckCommand.ParseEngine(result.GetValue(device)!, "demo");   // no GPU: exit 2 before any work
            var context = new SteerMoEContext(result.GetValue(seed));
            string folder = result.GetValue(specs) ?? Path.Combine(RepositoryRoot(), DemoRunner.DefaultSpecFolder);
            string outDir = result.GetValue(output)!;
            var table = ProgressReporter.Run("demo", "behaviours", progress =>
                context.Experiments.RunDemo(DemoRunner.Specs(folder), outDir, progress.Log, engine, progress.Report));
            Console.WriteLine();
            Console.WriteLine($"{"behaviour",-18} {"direction",-19} {"N/M",5} {"evaluator",-18} {"before",7} {"steered",8} {"random",7} {"p(steered)",11}");
            foreach (var row in table.Rows)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{row[0],-18} {row[1],-19} {row[2] + "/" + row[3],5} {row[6],-18} {Num(row[7]),7} {Num(row[8]),8} {Num(row[9]),7} {Num(row[10]),11}"));
            Console.WriteLine($"\n{outDir}: demo.csv, report.html, one run folder per behaviour");
            return 0;
        });
        return command;
    }

    private static string Num(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v.ToString("0.000", CultureInfo.InvariantCulture) : "-";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SteerMoE.Research.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
