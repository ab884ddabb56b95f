namespace SteerMoE.Research.Inference.Text.Jinja;

/// <summary>A node of a parsed template: statements write output, expressions produce values.</summary>
internal abstract record Node(SourcePosition Position);

internal abstract record Statement(SourcePosition Position) : Node(Position);
internal sealed record TextStatement(string Text, SourcePosition Position) : Statement(Position);
internal sealed record OutputStatement(Expression Value, SourcePosition Position) : Statement(Position);
internal sealed record IfStatement(List<(Expression Test, List<Statement> Body)> Branches, List<Statement>? Else, SourcePosition Position) : Statement(Position);
internal sealed record ForStatement(List<string> Targets, Expression Iterable, Expression? Filter, List<Statement> Body, List<Statement>? Else, SourcePosition Position) : Statement(Position);
internal sealed record SetStatement(Expression Target, Expression? Value, List<Statement>? Body, SourcePosition Position) : Statement(Position);
internal sealed record MacroStatement(string Name, List<(string Name, Expression? Default)> Parameters, List<Statement> Body, SourcePosition Position) : Statement(Position);
internal sealed record LoopControlStatement(bool IsBreak, SourcePosition Position) : Statement(Position);
internal sealed record BlockStatement(List<Statement> Body, SourcePosition Position) : Statement(Position);

internal abstract record Expression(SourcePosition Position) : Node(Position);
internal sealed record LiteralExpression(object? Value, SourcePosition Position) : Expression(Position);
internal sealed record NameExpression(string Name, SourcePosition Position) : Expression(Position);
internal sealed record ListExpression(List<Expression> Items, bool IsTuple, SourcePosition Position) : Expression(Position);
internal sealed record DictExpression(List<(Expression Key, Expression Value)> Items, SourcePosition Position) : Expression(Position);
internal sealed record AttributeExpression(Expression Target, string Name, SourcePosition Position) : Expression(Position);
internal sealed record IndexExpression(Expression Target, Expression Index, SourcePosition Position) : Expression(Position);
internal sealed record SliceExpression(Expression Target, Expression? Start, Expression? Stop, Expression? Step, SourcePosition Position) : Expression(Position);
internal sealed record CallExpression(Expression Callee, List<Expression> Arguments, List<(string Name, Expression Value)> Keywords, SourcePosition Position) : Expression(Position);
internal sealed record FilterExpression(Expression Target, string Name, List<Expression> Arguments, List<(string Name, Expression Value)> Keywords, SourcePosition Position) : Expression(Position);
internal sealed record TestExpression(Expression Target, string Name, List<Expression> Arguments, bool Negated, SourcePosition Position) : Expression(Position);
internal sealed record UnaryExpression(string Operator, Expression Operand, SourcePosition Position) : Expression(Position);
internal sealed record BinaryExpression(string Operator, Expression Left, Expression Right, SourcePosition Position) : Expression(Position);
internal sealed record ConditionalExpression(Expression Test, Expression Then, Expression? Else, SourcePosition Position) : Expression(Position);
