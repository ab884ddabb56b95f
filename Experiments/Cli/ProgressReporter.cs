using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace SteerMoE.Research.Cli;

/// <summary>
/// Progress of the CLI's long work, one way for every command: on an interactive terminal a Spectre.Console bar
/// (count, percentage, time left); otherwise (logs, CI, pipes) a plain stderr line
/// <c>LABEL: DONE/TOTAL UNIT (P%)DETAIL, S s, about R s left</c> at most every <c>everySeconds</c>, and the last one.
/// </summary>
internal sealed class ProgressReporter
{
    private readonly string _label, _unit;
    private readonly double _everySeconds;
    private readonly Func<double, string> _count;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _lastLine = double.NegativeInfinity;
    private ProgressTask? _bar;

    private ProgressReporter(string label, string unit, double everySeconds, Func<double, string>? count)
    {
        _label = label; _unit = unit; _everySeconds = everySeconds;
        _count = count ?? (v => v.ToString("0", CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Runs <paramref name="work"/> with a reporter for it. <paramref name="count"/> spells a count (default: whole
    /// numbers); <paramref name="everySeconds"/> spaces the plain lines (0: every report); <paramref name="bar"/> false
    /// keeps plain lines on a terminal too (a command that prints to the same terminal while it works).
    /// </summary>
    public static T Run<T>(string label, string unit, Func<ProgressReporter, T> work, double everySeconds = 2, Func<double, string>? count = null, bool bar = true)
    {
        var reporter = new ProgressReporter(label, unit, everySeconds, count);
        var stderr = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (!bar || !stderr.Profile.Capabilities.Interactive) return work(reporter);
        return stderr.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                reporter._bar = ctx.AddTask(label);
                return work(reporter);
            });
    }

    /// <summary>
    /// <paramref name="done"/> of <paramref name="total"/> units; <paramref name="detail"/> (", 1200/3000 tokens, 250
    /// tok/s") follows the percentage; <paramref name="remaining"/> replaces the linear estimate when the work knows better.
    /// </summary>
    public void Report(double done, double total, string detail = "", TimeSpan? remaining = null)
    {
        string counts = $"{_count(done)}/{_count(total)} {_unit}";
        if (_bar is { } bar)
        {
            bar.MaxValue = Math.Max(total, double.Epsilon); bar.Value = done;
            bar.Description = Markup.Escape($"{_label}: {counts}{detail}");
            return;
        }
        double now = _clock.Elapsed.TotalSeconds;
        if (now - _lastLine < _everySeconds && done < total) return;
        _lastLine = now;
        double? left = remaining?.TotalSeconds ?? (done > 0 ? now / done * (total - done) : null);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{_label}: {counts} ({100.0 * done / Math.Max(total, double.Epsilon):F0}%){detail}, {now:F0} s, {(left is { } l ? $"about {l:F0} s left" : "time left unknown")}"));
    }
}
