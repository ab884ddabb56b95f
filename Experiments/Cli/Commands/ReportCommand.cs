using System.CommandLine;
using SteerMoE.Research.Data.Tables;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>`steermoe report RUN_DIR`: (re)writes the run folder's report.html.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "a run folder of `steermoe experiment run` or `steermoe demo`" };
        var command = new Command("report", "Write one self-contained HTML page with the run's tables and figures, including the token shading.") { run };
        command.SetAction(result =>
        {
            var context = new SteerMoEContext();
            string dir = result.GetValue(run)!;
            string summary = Path.Combine(dir, "demo.csv");
            Console.WriteLine(context.Plots.WriteRunReport(dir, File.Exists(summary) ? CsvTable.Load(summary) : null));
            return 0;
        });
        return command;
    }
}
