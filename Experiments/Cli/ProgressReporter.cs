using System.Diagnostics;
using System.Globalization;
using SteerMoE.Research.Running;
using Spectre.Console;

namespace SteerMoE.Research.Cli;

/// <summary>
/// Progress of the CLI's long work, one way for every command: on an interactive terminal a Spectre.Console bar per
/// line (count, percentage, time left); otherwise (logs, CI, pipes) a plain stderr line
/// <c>LABEL: DONE/TOTAL UNIT (P%)DETAIL, S s, about R s left</c> at most every <c>everySeconds</c> (the line
/// reported then), and the last one of a line that printed before. A command has its own line (<see cref="Report(double, double, string, TimeSpan?)"/>) or one line per stage
/// of the library's work (<see cref="Report(RunProgress)"/>: cells, detection, generation, ...).
/// </summary>
internal sealed class ProgressReporter
{
    /// <summary>One progress line: its clock starts when its stage (re)starts.</summary>
    private sealed class Line(string label, string unit)
    {
        public string Label { get; } = label;
        public string Unit { get; } = unit;
        public Stopwatch Clock { get; private set; } = Stopwatch.StartNew();
        public bool Printed { get; set; }
        public double LastDone { get; set; }
        public ProgressTask? Bar { get; set; }

        public void Restart() { Clock = Stopwatch.StartNew(); Printed = false; }
    }

    private readonly string _label, _unit;
    private readonly double _everySeconds;
    private readonly Func<double, string> _count;
    private readonly Dictionary<string, Line> _lines = new(StringComparer.Ordinal);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _lastPrinted = double.NegativeInfinity;   // of any line: plain lines come every few seconds in all
    private IAnsiConsole? _terminal;
    private ProgressContext? _bars;

    /// <summary>Overrides every command's spacing of the plain lines, in seconds (0: every report; for tests and logs).</summary>
    public const string SecondsVariable = "STEERMOE_PROGRESS_SECONDS";

    private ProgressReporter(string label, string unit, double everySeconds, Func<double, string>? count)
    {
        _label = label; _unit = unit; _everySeconds = SpacingFromEnvironment() ?? everySeconds;
        _count = count ?? (v => v.ToString("0", CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Runs <paramref name="work"/> with a reporter for it. <paramref name="count"/> spells a count (default: whole
    /// numbers); <paramref name="everySeconds"/> spaces the plain lines (0: every report); <paramref name="bar"/> false
    /// keeps plain lines on a terminal too (a command that prints to the same terminal while it works, other than
    /// through <see cref="Log"/>).
    /// </summary>
    public static T Run<T>(string label, string unit, Func<ProgressReporter, T> work, double everySeconds = 2, Func<double, string>? count = null, bool bar = true)
    {
        var reporter = new ProgressReporter(label, unit, everySeconds, count);
        var stderr = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (!bar || !stderr.Profile.Capabilities.Interactive) return work(reporter);
        reporter._terminal = stderr;
        return stderr.Progress().HideCompleted(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                reporter._bars = ctx;
                return work(reporter);
            });
    }

    /// <summary>
    /// The command's own line: <paramref name="done"/> of <paramref name="total"/> units; <paramref name="detail"/>
    /// (", 1200/3000 tokens, 250 tok/s") follows the percentage; <paramref name="remaining"/> replaces the linear
    /// estimate when the work knows better.
    /// </summary>
    public void Report(double done, double total, string detail = "", TimeSpan? remaining = null) =>
        Report(LineFor(_label, _unit), done, total, detail, remaining);

    /// <summary>A stage's line; a stage reported from 0 again (the next cell's generation) starts its clock and bar anew.</summary>
    public void Report(RunProgress progress)
    {
        var line = LineFor(progress.Stage, progress.Unit);
        if (progress.Done == 0 || progress.Done < line.LastDone)
        {
            line.Restart();
            if (line.Bar is { } old && _bars is { } bars)
            {
                line.Bar = bars.AddTaskBefore(line.Label, old);   // in the old bar's place
                old.StopTask();                                    // hidden: HideCompleted
            }
        }
        Report(line, progress.Done, progress.Total, progress.Detail.Length > 0 ? $", {progress.Detail}" : "", null);
    }

    /// <summary>
    /// A line of the command's output (stdout): above the bars when they and stdout share the terminal (a write
    /// beside the live bars would tear them).
    /// </summary>
    public void Log(string text)
    {
        if (_terminal is { } terminal && !Console.IsOutputRedirected) terminal.WriteLine(text);
        else Console.WriteLine(text);
    }

    /// <summary>A benchmark's step: its result line on stderr (above the bar on a terminal), then the count of steps.</summary>
    public void Step(Inference.Kernels.Benchmarks.BenchmarkStep step)
    {
        if (_terminal is { } terminal) terminal.WriteLine($"  {step.Line}");
        else Console.Error.WriteLine($"  {step.Line}");
        Report(step.Done, step.Total);
    }

    private static double? SpacingFromEnvironment()
    {
        string? text = Environment.GetEnvironmentVariable(SecondsVariable);
        if (string.IsNullOrEmpty(text)) return null;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds >= 0 ? seconds
            : throw new ArgumentException($"{SecondsVariable}: '{text}': expected a number of seconds >= 0.");
    }

    private Line LineFor(string label, string unit)
    {
        if (!_lines.TryGetValue(label, out var line)) _lines[label] = line = new Line(label, unit);
        return line;
    }

    private void Report(Line line, double done, double total, string detail, TimeSpan? remaining)
    {
        line.LastDone = done;
        string counts = $"{_count(done)}/{_count(total)} {line.Unit}";
        if (_bars is { } bars)
        {
            var bar = line.Bar ??= bars.AddTask(line.Label);
            bar.MaxValue = Math.Max(total, double.Epsilon); bar.Value = done;
            bar.Description = Markup.Escape($"{line.Label}: {counts}{detail}");
            return;
        }
        double clock = _clock.Elapsed.TotalSeconds;
        if (clock - _lastPrinted < _everySeconds && !(done >= total && line.Printed)) return;
        _lastPrinted = clock;
        line.Printed = true;
        double now = line.Clock.Elapsed.TotalSeconds;
        double? left = remaining?.TotalSeconds ?? (done > 0 ? now / done * (total - done) : null);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{line.Label}: {counts} ({100.0 * done / Math.Max(total, double.Epsilon):F0}%){detail}, {now:F0} s, {(left is { } l ? $"about {l:F0} s left" : "time left unknown")}"));
    }
}
