namespace SteerMoE.Research.Inference.Text.Jinja;

/// <summary>
/// A chat template that cannot be parsed or rendered, or that called <c>raise_exception</c>. The message names
/// the template's source and the line and column (1-based) where it happened.
/// </summary>
public sealed class TemplateException : FormatException
{
    /// <summary>1-based line in the template.</summary>
    public int Line { get; }

    /// <summary>1-based column in the template.</summary>
    public int Column { get; }

    /// <summary>The error without the location prefix (for raise_exception: the template's own message).</summary>
    public string Reason { get; }

    /// <summary>Creates the error at <paramref name="line"/>:<paramref name="column"/> of <paramref name="source"/>.</summary>
    public TemplateException(string source, int line, int column, string reason)
        : base($"{source}: line {line}, column {column}: {reason}")
    {
        Line = line;
        Column = column;
        Reason = reason;
    }
}

/// <summary>A position in the template source (1-based), carried by tokens and nodes for error messages.</summary>
internal readonly record struct SourcePosition(int Line, int Column);

/// <summary>An error raised during evaluation; the interpreter adds the position of the node being run.</summary>
internal sealed class JinjaRuntimeError(string message) : Exception(message);

/// <summary>raise_exception(...) from the template: carries the template's message unchanged.</summary>
internal sealed class JinjaRaisedError(string message) : Exception(message);
