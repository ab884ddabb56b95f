using System.CommandLine;

namespace SteerMoE.Research.Cli;

/// <summary>
/// Runs the parsed command and turns the library's input errors into one clear line on stderr and exit
/// code 2 (usage/input), never an unhandled exception with a stack trace. Unexpected failures exit 1.
/// </summary>
internal static class CommandRunner
{
    public static int Invoke(RootCommand root, string[] args)
    {
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsInputError(e))
        {
            Console.Error.WriteLine($"steermoe: error: {e.Message}");
            return 2;
        }
    }

    /// <summary>Errors that mean "your input is wrong" (their message names file and field).</summary>
    public static bool IsInputError(Exception e) =>
        e is FormatException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException
          or ArgumentException or NotSupportedException or IOException or UnauthorizedAccessException;

    /// <summary>A required option's value, or a clear error naming the option.</summary>
    public static T Required<T>(ParseResult result, Option<T> option) =>
        result.GetValue(option) ?? throw new ArgumentException($"{option.Name} is required.");
}
