using System.Runtime.CompilerServices;
using System.Text;
using static SteerMoE.Research.Inference.Text.Jinja.JinjaValues;

namespace SteerMoE.Research.Inference.Text.Jinja;

/// <summary>Variable scopes: each for loop and macro call opens one; set writes the innermost.</summary>
internal sealed class Scope(Scope? parent)
{
    private readonly Dictionary<string, object?> _vars = new(StringComparer.Ordinal);
    public Scope? Parent { get; } = parent;

    public bool TryGet(string name, out object? value)
    {
        for (var s = this; s != null; s = s.Parent)
            if (s._vars.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }

    public void Set(string name, object? value) => _vars[name] = value;
}

/// <summary>Runs a parsed template (jinja2 semantics for the subset chat templates use).</summary>
internal sealed class JinjaInterpreter
{
    private readonly string _name;

    private sealed class BreakSignal : Exception;
    private sealed class ContinueSignal : Exception;

    private long _steps;
    private int _callDepth;

    public JinjaInterpreter(string name) => _name = name;

    public string Render(List<Statement> body, Scope globals)
    {
        var sb = new StringBuilder();
        Execute(body, new Scope(globals), sb);
        return sb.ToString();
    }

    private TemplateException Error(Node node, string reason) => new(_name, node.Position.Line, node.Position.Column, reason);

    private void Execute(List<Statement> body, Scope scope, StringBuilder output)
    {
        foreach (var statement in body) Execute(statement, scope, output);
    }

    /// <summary>
    /// Counts one step against <see cref="TemplateLimits.MaxSteps"/> and checks the stack (values nest without bound);
    /// Execute and Evaluate turn a stack that runs out, here or in the value helpers, into <see cref="TooDeep"/>.
    /// </summary>
    private void Step(Node node)
    {
        if (++_steps > TemplateLimits.MaxSteps)
            throw Error(node, $"the template ran more than {TemplateLimits.MaxSteps:N0} steps (a loop that does not end?)");
        RuntimeHelpers.EnsureSufficientExecutionStack();
    }

    private TemplateException TooDeep(Node node) => Error(node, "values or calls nested too deeply to render");

    private void Append(StringBuilder output, string text, Node at)
    {
        if (output.Length + (long)text.Length > TemplateLimits.MaxLength)
            throw Error(at, $"the output would be longer than {TemplateLimits.MaxLength:N0} characters");
        output.Append(text);
    }

    private void Execute(Statement statement, Scope scope, StringBuilder output)
    {
        try
        {
            Step(statement);
            switch (statement)
            {
                case TextStatement t:
                    Append(output, t.Text, t);
                    break;
                case OutputStatement o:
                    Append(output, Str(Evaluate(o.Value, scope)), o);
                    break;
                case IfStatement i:
                {
                    foreach (var (test, branch) in i.Branches)
                        if (Truthy(Evaluate(test, scope))) { Execute(branch, scope, output); return; }
                    if (i.Else != null) Execute(i.Else, scope, output);
                    break;
                }
                case ForStatement f:
                    ExecuteFor(f, scope, output);
                    break;
                case SetStatement s:
                {
                    object? value;
                    if (s.Body != null)
                    {
                        var sb = new StringBuilder();
                        Execute(s.Body, scope, sb);
                        value = sb.ToString();
                    }
                    else value = Evaluate(s.Value!, scope);
                    Assign(s.Target, value, scope, s);
                    break;
                }
                case MacroStatement m:
                    scope.Set(m.Name, MakeMacro(m, scope));
                    break;
                case LoopControlStatement c:
                    throw c.IsBreak ? new BreakSignal() : new ContinueSignal();
                case BlockStatement b:
                    Execute(b.Body, scope, output);
                    break;
            }
        }
        catch (InsufficientExecutionStackException) { throw TooDeep(statement); }
    }

    private void Assign(Expression target, object? value, Scope scope, Node at)
    {
        switch (target)
        {
            case NameExpression n:
                scope.Set(n.Name, value);
                break;
            case AttributeExpression { Target: NameExpression ns } a:
                if (!scope.TryGet(ns.Name, out var obj) || obj is not JinjaNamespace space)
                    throw Error(at, $"cannot assign attribute '{a.Name}' on '{ns.Name}': only namespace() objects can be assigned to");
                space.Attributes[a.Name] = value;
                break;
            case ListExpression l:
            {
                var items = Iterate(value, at).ToList();
                if (items.Count != l.Items.Count) throw Error(at, $"cannot unpack {items.Count} values into {l.Items.Count} names");
                for (int k = 0; k < items.Count; k++) Assign(l.Items[k], items[k], scope, at);
                break;
            }
            default:
                throw Error(at, "invalid assignment target");
        }
    }

    private void ExecuteFor(ForStatement f, Scope scope, StringBuilder output)
    {
        var source = Evaluate(f.Iterable, scope);
        var items = Iterate(source, f).ToList();
        if (f.Filter != null)
        {
            var kept = new List<object?>();
            foreach (var item in items)
            {
                var s = new Scope(scope);
                Bind(f, item, s);
                if (Truthy(Evaluate(f.Filter, s))) kept.Add(item);
            }
            items = kept;
        }
        if (items.Count == 0)
        {
            if (f.Else != null) Execute(f.Else, scope, output);
            return;
        }
        var loop = new LoopInfo { Items = items };
        for (int i = 0; i < items.Count; i++)
        {
            loop.Index0 = i;
            var inner = new Scope(scope);
            inner.Set("loop", loop);
            Bind(f, items[i], inner);
            try { Execute(f.Body, inner, output); }
            catch (BreakSignal) { break; }
            catch (ContinueSignal) { }
        }
    }

    private void Bind(ForStatement f, object? item, Scope scope)
    {
        if (f.Targets.Count == 1) { scope.Set(f.Targets[0], item); return; }
        var parts = Iterate(item, f).ToList();
        if (parts.Count != f.Targets.Count) throw Error(f, $"cannot unpack {parts.Count} values into {f.Targets.Count} loop variables");
        for (int k = 0; k < parts.Count; k++) scope.Set(f.Targets[k], parts[k]);
    }

    private JinjaCallable MakeMacro(MacroStatement m, Scope definingScope) => new(m.Name, (args, kwargs) =>
    {
        var scope = new Scope(definingScope);
        for (int k = 0; k < m.Parameters.Count; k++)
        {
            var (name, def) = m.Parameters[k];
            object? value;
            if (k < args.Count) value = args[k];
            else if (kwargs.TryGetValue(name, out var kw)) value = kw;
            else value = def != null ? Evaluate(def, scope) : new Undefined(name);
            scope.Set(name, value);
        }
        if (args.Count > m.Parameters.Count) throw Error(m, $"macro '{m.Name}' takes {m.Parameters.Count} arguments, {args.Count} given");
        foreach (var key in kwargs.Keys)
            if (!m.Parameters.Any(p => p.Name == key)) throw Error(m, $"macro '{m.Name}' has no parameter '{key}'");
        if (++_callDepth > TemplateLimits.MaxCallDepth)
            throw Error(m, $"macro '{m.Name}': more than {TemplateLimits.MaxCallDepth} macro calls active at once (a macro calling itself without end?)");
        try
        {
            var sb = new StringBuilder();
            Execute(m.Body, scope, sb);
            return sb.ToString();
        }
        finally { _callDepth--; }
    });

    internal IEnumerable<object?> Iterate(object? value, Node at)
    {
        try { return JinjaBuiltins.IterateValues(value).ToList(); }
        catch (JinjaRuntimeError e) { throw Error(at, e.Message); }
    }

    public object? Evaluate(Expression expression, Scope scope)
    {
        object? value;
        try { Step(expression); value = EvaluateCore(expression, scope); }
        catch (JinjaRuntimeError e) { throw Error(expression, e.Message); }
        catch (InsufficientExecutionStackException) { throw TooDeep(expression); }
        if (value is string { Length: > TemplateLimits.MaxLength } || value is List<object?> { Count: > TemplateLimits.MaxLength })
            throw Error(expression, $"a value longer than {TemplateLimits.MaxLength:N0} characters or items");
        return value;
    }

    private object? EvaluateCore(Expression expression, Scope scope)
    {
        switch (expression)
        {
            case LiteralExpression l: return l.Value;
            case NameExpression n: return scope.TryGet(n.Name, out var v) ? v : new Undefined(n.Name);
            case ListExpression l:
            {
                var items = l.Items.Select(i => Evaluate(i, scope)).ToList();
                return l.IsTuple ? new JinjaTuple(items) : items;
            }
            case DictExpression d:
            {
                var dict = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, val) in d.Items)
                {
                    var key = Evaluate(k, scope);
                    if (key is not string ks) throw Error(k, $"dictionary keys must be strings here, got {TypeName(key)}");
                    dict[ks] = Evaluate(val, scope);
                }
                return dict;
            }
            case AttributeExpression a: return JinjaBuiltins.GetAttribute(Evaluate(a.Target, scope), a.Name, this, a);
            case IndexExpression i: return JinjaBuiltins.GetItem(Evaluate(i.Target, scope), Evaluate(i.Index, scope));
            case SliceExpression s:
                return JinjaBuiltins.Slice(Evaluate(s.Target, scope), s.Start == null ? null : Evaluate(s.Start, scope),
                    s.Stop == null ? null : Evaluate(s.Stop, scope), s.Step == null ? null : Evaluate(s.Step, scope));
            case CallExpression c:
            {
                var callee = Evaluate(c.Callee, scope);
                var args = c.Arguments.Select(x => Evaluate(x, scope)).ToList();
                var kwargs = c.Keywords.ToDictionary(k => k.Name, k => Evaluate(k.Value, scope));
                if (callee is JinjaCallable f)
                {
                    try { return f.Invoke(args, kwargs); }
                    catch (JinjaRaisedError e) { throw Error(c, e.Message); }
                }
                if (callee is Undefined u) throw Error(c, $"'{u.Name}' is undefined");
                throw Error(c, $"'{TypeName(callee)}' object is not callable");
            }
            case FilterExpression f:
            {
                var target = Evaluate(f.Target, scope);
                var args = f.Arguments.Select(x => Evaluate(x, scope)).ToList();
                var kwargs = f.Keywords.ToDictionary(k => k.Name, k => Evaluate(k.Value, scope));
                return JinjaBuiltins.Filter(f.Name, target, args, kwargs, this);
            }
            case TestExpression t:
            {
                var target = Evaluate(t.Target, scope);
                var args = t.Arguments.Select(x => Evaluate(x, scope)).ToList();
                bool result = JinjaBuiltins.Test(t.Name, target, args);
                return t.Negated ? !result : result;
            }
            case UnaryExpression u:
            {
                var value = Evaluate(u.Operand, scope);
                return u.Operator switch
                {
                    "not" => !Truthy(value),
                    "-" => value is long l ? (object)(-l) : value is bool b ? -(b ? 1L : 0L) : value is double d ? -d : throw new JinjaRuntimeError($"bad operand type for unary -: '{TypeName(value)}'"),
                    _ => IsNumber(value) ? value : throw new JinjaRuntimeError($"bad operand type for unary +: '{TypeName(value)}'"),
                };
            }
            case BinaryExpression b:
            {
                if (b.Operator == "and") { var l = Evaluate(b.Left, scope); return Truthy(l) ? Evaluate(b.Right, scope) : l; }
                if (b.Operator == "or") { var l = Evaluate(b.Left, scope); return Truthy(l) ? l : Evaluate(b.Right, scope); }
                return JinjaBuiltins.Binary(b.Operator, Evaluate(b.Left, scope), Evaluate(b.Right, scope));
            }
            case ConditionalExpression c:
                return Truthy(Evaluate(c.Test, scope)) ? Evaluate(c.Then, scope) : c.Else == null ? new Undefined("conditional expression") : Evaluate(c.Else, scope);
        }
        throw Error(expression, "unsupported expression");
    }
}
