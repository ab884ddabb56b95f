using System.CommandLine;
using SteerMoE.Research.Cli;
using SteerMoE.Research.Cli.Commands;

// The `steermoe` command: a thin shell over SteerMoEContext. Each command lives in Commands/, one file each;
// register it in the list below (one line per command).
var root = new RootCommand("SteerMoE.Research: find the experts of an MoE model that carry a behaviour, and steer by switching them on or off.");
foreach (var command in new Command[]
{
    CountsCommand.Create(),
    PlanCommand.Create(),
    PairsCommand.Create(),
    PlotCommand.Create(),
    RankCommand.Create(),
    CompareCommand.Create(),
    InspectCommand.Create(),
    TraceCommand.Create(),
    MakeRandomCommand.Create(),
    BenchCommand.Create(),
    TokenizeCommand.Create(),
    BenchTokenizerCommand.Create(),
    DetectCommand.Create(),
    GenerateCommand.Create(),
    ExperimentCommand.Create(),
    DemoCommand.Create(),
    ReportCommand.Create(),
    GpuCheckCommand.Create(),
    SlurmCommand.Create(),
})
    root.Subcommands.Add(command);

return CommandRunner.Invoke(root, args);
