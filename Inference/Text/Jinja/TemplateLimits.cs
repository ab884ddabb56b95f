namespace SteerMoE.Research.Inference.Text.Jinja;

/// <summary>
/// Bounds on what a chat template may do. Templates come with downloaded models, so rendering one must end, in
/// bounded memory, whatever it says; a real template stays far below each (the largest shipped ones render in a few
/// thousand steps). Going past a bound is a <see cref="TemplateException"/> naming the place.
/// </summary>
public static class TemplateLimits
{
    /// <summary>Nesting of blocks ({% if %} inside {% for %} …) and of expressions (brackets, unary operators).</summary>
    public const int MaxNesting = 100;

    /// <summary>Macro calls active at once (a macro calling itself without end).</summary>
    public const int MaxCallDepth = 100;

    /// <summary>Statements run plus expressions evaluated in one render (a loop that does not end).</summary>
    public const long MaxSteps = 5_000_000;

    /// <summary>Characters of the output and of any string value; items of any list (range(), list * n).</summary>
    public const int MaxLength = 8_000_000;
}
