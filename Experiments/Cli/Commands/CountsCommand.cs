using System.CommandLine;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>`steermoe counts --counts FILE`: validates a count table and prints its shape and token totals.</summary>
internal static class CountsCommand
{
    public static Command Create()
    {
        var counts = new Option<string>("--counts") { Description = "a CSV with columns layer, expert, a1, d1, a2, d2", Required = true };
        var command = new Command("counts", "Validate a count table and print its layers, experts and token totals per side.") { counts };
        command.SetAction(result =>
        {
            var context = new SteerMoEContext();
            var table = context.Data.LoadCounts(CommandRunner.Required(result, counts));
            Console.WriteLine($"{table.Source}: {table.Rows.Count} rows, layers 0..{table.LayerCount - 1}, experts 0..{table.ExpertCount - 1}, N1 = {table.N1} tokens (side 1), N2 = {table.N2} tokens (side 2)");
            return 0;
        });
        return command;
    }
}
