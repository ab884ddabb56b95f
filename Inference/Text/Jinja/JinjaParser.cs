using System.Globalization;

namespace SteerMoE.Research.Inference.Text.Jinja;

/// <summary>Parses the segments of <see cref="JinjaLexer"/> into statements, with jinja2's operator precedence.</summary>
internal sealed class JinjaParser
{
    private readonly List<Segment> _segments;
    private readonly string _name;
    private int _segment;
    private List<Token> _tokens = [];
    private int _pos;

    public JinjaParser(List<Segment> segments, string name) { _segments = segments; _name = name; }

    private TemplateException Error(SourcePosition p, string reason) => new(_name, p.Line, p.Column, reason);

    private int _nesting;

    /// <summary>An integer literal; Python's are unbounded, ours are 64-bit.</summary>
    private long Integer(Token t) =>
        long.TryParse(t.Text, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v
        : throw Error(t.Position, $"integer literal {t.Text} does not fit in 64 bits");

    /// <summary>Runs one nested parse (a block, a bracketed or unary expression), refusing more than <see cref="TemplateLimits.MaxNesting"/> levels.</summary>
    private T Nested<T>(SourcePosition at, Func<T> parse)
    {
        if (++_nesting > TemplateLimits.MaxNesting) throw Error(at, $"nested more than {TemplateLimits.MaxNesting} levels deep");
        try { return parse(); }
        finally { _nesting--; }
    }

    public List<Statement> ParseTemplate()
    {
        var body = ParseBody(out var end);
        if (end != null) throw Error(end.Position, $"unexpected {{% {end.Text} %}}: no block is open");
        return body;
    }

    /// <summary>Parses statements until an end tag it does not own; returns that tag's first token (or null at the end).</summary>
    private List<Statement> ParseBody(out Token? terminator, params string[] terminators)
    {
        var body = new List<Statement>();
        while (_segment < _segments.Count)
        {
            var seg = _segments[_segment];
            switch (seg.Kind)
            {
                case SegmentKind.Text:
                    body.Add(new TextStatement(seg.Text, seg.Position));
                    _segment++;
                    break;
                case SegmentKind.Output:
                    Begin(seg);
                    body.Add(new OutputStatement(ParseExpression(), seg.Position));
                    ExpectEnd();
                    break;
                default:
                    Begin(seg);
                    var head = Peek;
                    if (head.Kind != TokenKind.Name) throw Error(head.Position, "expected a statement name after {%");
                    if (terminators.Contains(head.Text)) { terminator = head; return body; }
                    if (head.Text.StartsWith("end") || head.Text is "else" or "elif")
                    {
                        terminator = head;
                        if (terminators.Length == 0) throw Error(head.Position, $"unexpected {{% {head.Text} %}}: no block is open");
                        throw Error(head.Position, $"unexpected {{% {head.Text} %}}: expected {string.Join(" or ", terminators.Select(t => "{% " + t + " %}"))}");
                    }
                    body.Add(ParseStatement(head, seg.Position));
                    break;
            }
        }
        terminator = null;
        if (terminators.Length > 0)
        {
            var (block, opened) = _open.Count > 0 ? _open.Peek() : ("block", new SourcePosition(1, 1));
            throw Error(opened, $"unexpected end of template: missing {{% {terminators[^1]} %}} for the {{% {block} %}} opened here");
        }
        return body;
    }

    private void Begin(Segment seg) { _tokens = seg.Tokens; _pos = 0; }

    private Token Peek => _tokens[_pos];
    private Token PeekAt(int k) => _tokens[Math.Min(_pos + k, _tokens.Count - 1)];
    private Token Next() => _tokens[_pos < _tokens.Count - 1 ? _pos++ : _pos];

    private void ExpectEnd()
    {
        if (Peek.Kind != TokenKind.End) throw Error(Peek.Position, $"unexpected '{Peek.Text}': expected the end of the tag");
        _segment++;
    }

    private void Expect(string op)
    {
        var t = Next();
        if (!t.Is(op)) throw Error(t.Position, $"expected '{op}', found '{Describe(t)}'");
    }

    private string ExpectName()
    {
        var t = Next();
        if (t.Kind != TokenKind.Name) throw Error(t.Position, $"expected a name, found '{Describe(t)}'");
        return t.Text;
    }

    private void ExpectKeyword(string word)
    {
        var t = Next();
        if (!t.IsName(word)) throw Error(t.Position, $"expected '{word}', found '{Describe(t)}'");
    }

    private static string Describe(Token t) => t.Kind == TokenKind.End ? "end of tag" : t.Text;

    /// <summary>Closes a block: the current segment must be {% word %}.</summary>
    private void CloseTag(string word)
    {
        ExpectKeyword(word);
        ExpectEnd();
    }

    private readonly Stack<(string Name, SourcePosition Position)> _open = new();

    private Statement ParseStatement(Token head, SourcePosition tag)
    {
        _open.Push((head.Text, tag));
        try { return Nested(tag, () => ParseStatementCore(head)); }
        finally { _open.Pop(); }
    }

    private Statement ParseStatementCore(Token head)
    {
        var p = head.Position;
        Next();
        switch (head.Text)
        {
            case "if":
            {
                var branches = new List<(Expression, List<Statement>)>();
                var test = ParseExpression();
                ExpectEnd();
                List<Statement>? elseBody = null;
                while (true)
                {
                    var body = ParseBody(out var term, "elif", "else", "endif");
                    branches.Add((test, body));
                    if (term!.Text == "elif") { Next(); test = ParseExpression(); ExpectEnd(); continue; }
                    if (term.Text == "else")
                    {
                        Next(); ExpectEnd();
                        elseBody = ParseBody(out _, "endif");
                    }
                    CloseTag("endif");
                    return new IfStatement(branches, elseBody, p);
                }
            }
            case "for":
            {
                var targets = new List<string> { ExpectName() };
                while (Peek.Is(",")) { Next(); targets.Add(ExpectName()); }
                ExpectKeyword("in");
                var iterable = ParseExpression(allowConditional: false);
                Expression? filter = null;
                if (Peek.IsName("if")) { Next(); filter = ParseExpression(allowConditional: false); }
                if (Peek.IsName("recursive")) throw Error(Peek.Position, "recursive for loops are not supported");
                ExpectEnd();
                var body = ParseBody(out var term, "else", "endfor");
                List<Statement>? elseBody = null;
                if (term!.Text == "else") { Next(); ExpectEnd(); elseBody = ParseBody(out _, "endfor"); }
                CloseTag("endfor");
                return new ForStatement(targets, iterable, filter, body, elseBody, p);
            }
            case "set":
            {
                var target = ParsePrimaryTarget();
                if (Peek.Kind == TokenKind.End)
                {
                    ExpectEnd();
                    var body = ParseBody(out _, "endset");
                    CloseTag("endset");
                    return new SetStatement(target, null, body, p);
                }
                Expect("=");
                var value = ParseTuple();
                ExpectEnd();
                return new SetStatement(target, value, null, p);
            }
            case "macro":
            {
                string name = ExpectName();
                Expect("(");
                var parameters = new List<(string, Expression?)>();
                while (!Peek.Is(")"))
                {
                    string pn = ExpectName();
                    Expression? def = null;
                    if (Peek.Is("=")) { Next(); def = ParseExpression(); }
                    parameters.Add((pn, def));
                    if (!Peek.Is(")")) Expect(",");
                }
                Next();
                ExpectEnd();
                var body = ParseBody(out _, "endmacro");
                CloseTag("endmacro");
                return new MacroStatement(name, parameters, body, p);
            }
            case "break" or "continue":
                // Inside a for loop of the same macro (jinja2 refuses it elsewhere at compile time too).
                if (!_open.Skip(1).TakeWhile(o => o.Name != "macro").Any(o => o.Name == "for")) throw Error(p, $"{{% {head.Text} %}} outside a for loop");
                ExpectEnd();
                return new LoopControlStatement(head.Text == "break", p);
            case "generation":
            {
                // transformers' AssistantTracker extension: renders its body unchanged.
                ExpectEnd();
                var body = ParseBody(out _, "endgeneration");
                CloseTag("endgeneration");
                return new BlockStatement(body, p);
            }
            default:
                throw Error(p, $"unsupported statement {{% {head.Text} %}} (supported: if, for, set, macro, break, continue, raw, generation)");
        }
    }

    /// <summary>A set target: a name, a tuple of names, or namespace.attribute.</summary>
    private Expression ParsePrimaryTarget()
    {
        var t = Next();
        if (t.Kind != TokenKind.Name) throw Error(t.Position, $"expected a variable name after set, found '{Describe(t)}'");
        Expression target = new NameExpression(t.Text, t.Position);
        if (Peek.Is(".")) { Next(); target = new AttributeExpression(target, ExpectName(), t.Position); }
        else if (Peek.Is(","))
        {
            var items = new List<Expression> { target };
            while (Peek.Is(",")) { Next(); var n = Next(); items.Add(new NameExpression(n.Text, n.Position)); }
            target = new ListExpression(items, true, t.Position);
        }
        return target;
    }

    /// <summary>An expression, or a tuple of them without parentheses (as after set x =).</summary>
    private Expression ParseTuple()
    {
        var first = ParseExpression();
        if (!Peek.Is(",")) return first;
        var items = new List<Expression> { first };
        while (Peek.Is(","))
        {
            Next();
            if (Peek.Kind == TokenKind.End) break;
            items.Add(ParseExpression());
        }
        return new ListExpression(items, true, first.Position);
    }

    public Expression ParseExpression(bool allowConditional = true) => Nested(Peek.Position, () => ParseExpressionCore(allowConditional));

    private Expression ParseExpressionCore(bool allowConditional)
    {
        var expr = ParseOr();
        while (allowConditional && Peek.IsName("if"))
        {
            var p = Next().Position;
            var test = ParseOr();
            Expression? otherwise = null;
            if (Peek.IsName("else")) { Next(); otherwise = ParseExpression(); }
            expr = new ConditionalExpression(test, expr, otherwise, p);
        }
        return expr;
    }

    private Expression ParseOr()
    {
        var left = ParseAnd();
        while (Peek.IsName("or")) { var p = Next().Position; left = new BinaryExpression("or", left, ParseAnd(), p); }
        return left;
    }

    private Expression ParseAnd()
    {
        var left = ParseNot();
        while (Peek.IsName("and")) { var p = Next().Position; left = new BinaryExpression("and", left, ParseNot(), p); }
        return left;
    }

    private Expression ParseNot()
    {
        if (Peek.IsName("not")) { var p = Next().Position; return new UnaryExpression("not", Nested(p, ParseNot), p); }
        return ParseCompare();
    }

    private static readonly HashSet<string> Comparisons = ["==", "!=", "<", ">", "<=", ">="];

    private Expression ParseCompare()
    {
        var left = ParseMath1();
        while (true)
        {
            var t = Peek;
            if (t.Kind == TokenKind.Operator && Comparisons.Contains(t.Text)) { Next(); left = new BinaryExpression(t.Text, left, ParseMath1(), t.Position); }
            else if (t.IsName("in")) { Next(); left = new BinaryExpression("in", left, ParseMath1(), t.Position); }
            else if (t.IsName("not") && PeekAt(1).IsName("in")) { Next(); Next(); left = new BinaryExpression("not in", left, ParseMath1(), t.Position); }
            else return left;
        }
    }

    private Expression ParseMath1()
    {
        var left = ParseConcat();
        while (Peek.Is("+") || Peek.Is("-")) { var t = Next(); left = new BinaryExpression(t.Text, left, ParseConcat(), t.Position); }
        return left;
    }

    private Expression ParseConcat()
    {
        var left = ParseMath2();
        while (Peek.Is("~")) { var t = Next(); left = new BinaryExpression("~", left, ParseMath2(), t.Position); }
        return left;
    }

    private Expression ParseMath2()
    {
        var left = ParsePow();
        while (Peek.Is("*") || Peek.Is("/") || Peek.Is("//") || Peek.Is("%")) { var t = Next(); left = new BinaryExpression(t.Text, left, ParsePow(), t.Position); }
        return left;
    }

    private Expression ParsePow()
    {
        var left = ParseUnary(true);
        while (Peek.Is("**")) { var t = Next(); left = new BinaryExpression("**", left, ParseUnary(true), t.Position); }
        return left;
    }

    private Expression ParseUnary(bool withFilter)
    {
        Expression node;
        if (Peek.Is("-") || Peek.Is("+")) { var t = Next(); node = new UnaryExpression(t.Text, Nested(t.Position, () => ParseUnary(false)), t.Position); }
        else node = ParsePostfix(ParsePrimary());
        return withFilter ? ParseFilters(node) : node;
    }

    private Expression ParseFilters(Expression node)
    {
        while (true)
        {
            if (Peek.Is("|"))
            {
                var p = Next().Position;
                string name = ExpectName();
                while (Peek.Is(".")) { Next(); name += "." + ExpectName(); }
                var (args, kwargs) = Peek.Is("(") ? ParseArguments() : ([], []);
                node = new FilterExpression(node, name, args, kwargs, p);
            }
            else if (Peek.IsName("is"))
            {
                var p = Next().Position;
                bool negated = false;
                if (Peek.IsName("not")) { Next(); negated = true; }
                var nameToken = Next();
                if (nameToken.Kind != TokenKind.Name && !nameToken.Is("==") && !nameToken.Is("!=") && !nameToken.Is("<") && !nameToken.Is(">"))
                    throw Error(nameToken.Position, $"expected a test name after 'is', found '{Describe(nameToken)}'");
                var args = new List<Expression>();
                if (Peek.Is("(")) args = ParseArguments().Args;
                else if (Peek.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float
                    || Peek.Kind == TokenKind.Name && Peek.Text is not ("else" or "or" or "and" or "if" or "is" or "in" or "not"))
                    args = [ParsePostfix(ParsePrimary())];
                node = new TestExpression(node, nameToken.Text, args, negated, p);
            }
            else if (Peek.Is("("))
            {
                var p = Peek.Position;
                var (args, kwargs) = ParseArguments();
                node = new CallExpression(node, args, kwargs, p);
            }
            else return node;
        }
    }

    private (List<Expression> Args, List<(string, Expression)> Keywords) ParseArguments()
    {
        Expect("(");
        var args = new List<Expression>();
        var kwargs = new List<(string, Expression)>();
        while (!Peek.Is(")"))
        {
            if (Peek.Kind == TokenKind.End) throw Error(Peek.Position, "expected ')' to close the argument list");
            if (Peek.Kind == TokenKind.Name && PeekAt(1).Is("="))
            {
                string n = Next().Text; Next();
                kwargs.Add((n, ParseExpression()));
            }
            else args.Add(ParseExpression());
            if (!Peek.Is(")")) Expect(",");
        }
        Next();
        return (args, kwargs);
    }

    private Expression ParsePostfix(Expression node)
    {
        while (true)
        {
            if (Peek.Is("."))
            {
                var p = Next().Position;
                var t = Next();
                if (t.Kind == TokenKind.Name) node = new AttributeExpression(node, t.Text, p);
                else if (t.Kind == TokenKind.Integer) node = new IndexExpression(node, new LiteralExpression(Integer(t), p), p);
                else throw Error(t.Position, $"expected an attribute name after '.', found '{Describe(t)}'");
            }
            else if (Peek.Is("["))
            {
                var p = Next().Position;
                Expression? start = null, stop = null, step = null;
                bool slice = false;
                if (!Peek.Is(":")) start = ParseExpression();
                if (Peek.Is(":"))
                {
                    slice = true; Next();
                    if (!Peek.Is("]") && !Peek.Is(":")) stop = ParseExpression();
                    if (Peek.Is(":")) { Next(); if (!Peek.Is("]")) step = ParseExpression(); }
                }
                Expect("]");
                node = slice ? new SliceExpression(node, start, stop, step, p) : new IndexExpression(node, start!, p);
            }
            else if (Peek.Is("("))
            {
                var p = Peek.Position;
                var (args, kwargs) = ParseArguments();
                node = new CallExpression(node, args, kwargs, p);
            }
            else return node;
        }
    }

    private Expression ParsePrimary()
    {
        var t = Next();
        var p = t.Position;
        switch (t.Kind)
        {
            case TokenKind.String:
            {
                string s = t.Text;
                while (Peek.Kind == TokenKind.String) s += Next().Text; // adjacent literals concatenate
                return new LiteralExpression(s, p);
            }
            case TokenKind.Integer:
                return new LiteralExpression(Integer(t), p);
            case TokenKind.Float:
                return new LiteralExpression(double.Parse(t.Text, CultureInfo.InvariantCulture), p);
            case TokenKind.Name:
                return t.Text switch
                {
                    "true" or "True" => new LiteralExpression(true, p),
                    "false" or "False" => new LiteralExpression(false, p),
                    "none" or "None" => new LiteralExpression(null, p),
                    _ => new NameExpression(t.Text, p),
                };
        }
        if (t.Is("("))
        {
            if (Peek.Is(")")) { Next(); return new ListExpression([], true, p); }
            var first = ParseExpression();
            if (Peek.Is(")")) { Next(); return first; }
            var items = new List<Expression> { first };
            while (Peek.Is(",")) { Next(); if (Peek.Is(")")) break; items.Add(ParseExpression()); }
            Expect(")");
            return new ListExpression(items, true, p);
        }
        if (t.Is("["))
        {
            var items = new List<Expression>();
            while (!Peek.Is("]"))
            {
                items.Add(ParseExpression());
                if (!Peek.Is("]")) Expect(",");
            }
            Next();
            return new ListExpression(items, false, p);
        }
        if (t.Is("{"))
        {
            var items = new List<(Expression, Expression)>();
            while (!Peek.Is("}"))
            {
                var key = ParseExpression();
                Expect(":");
                items.Add((key, ParseExpression()));
                if (!Peek.Is("}")) Expect(",");
            }
            Next();
            return new DictExpression(items, p);
        }
        throw Error(p, $"unexpected '{Describe(t)}': expected a value");
    }
}
