using System.Globalization;
using System.Text;

namespace SteerMoE.Research.Inference.Text.Jinja;

internal enum SegmentKind { Text, Output, Statement }

/// <summary>A piece of the template: literal text, an output tag {{ }} or a statement tag {% %} (tokens inside).</summary>
internal sealed record Segment(SegmentKind Kind, string Text, List<Token> Tokens, SourcePosition Position);

internal enum TokenKind { Name, String, Integer, Float, Operator, End }

internal sealed record Token(TokenKind Kind, string Text, SourcePosition Position)
{
    public bool Is(string op) => Kind == TokenKind.Operator && Text == op;
    public bool IsName(string name) => Kind == TokenKind.Name && Text == name;
}

/// <summary>
/// Splits a template into segments with jinja2's whitespace rules as transformers configures them:
/// trim_blocks (the first newline after a block or comment tag is removed), lstrip_blocks (spaces and tabs
/// before a block or comment tag at the start of a line are removed, unless the tag opens with '+'),
/// '-' on a tag strips all whitespace on that side, and one trailing newline of the template is dropped.
/// </summary>
internal sealed class JinjaLexer
{
    private readonly string _src;
    private readonly string _name;
    private readonly int[] _lineStarts;

    public JinjaLexer(string source, string name)
    {
        _src = source.Replace("\r\n", "\n");
        if (_src.EndsWith('\n')) _src = _src[..^1]; // keep_trailing_newline=False
        _name = name;
        var starts = new List<int> { 0 };
        for (int i = 0; i < _src.Length; i++) if (_src[i] == '\n') starts.Add(i + 1);
        _lineStarts = starts.ToArray();
    }

    public SourcePosition PositionOf(int offset)
    {
        int line = Array.BinarySearch(_lineStarts, offset);
        if (line < 0) line = ~line - 1;
        return new SourcePosition(line + 1, offset - _lineStarts[line] + 1);
    }

    private TemplateException Error(int offset, string reason)
    {
        var p = PositionOf(offset);
        return new TemplateException(_name, p.Line, p.Column, reason);
    }

    public List<Segment> Tokenize()
    {
        var segments = new List<Segment>();
        int pos = 0;
        bool stripNextLeading = false, trimNextNewline = false;
        while (pos <= _src.Length)
        {
            int open = FindTagOpen(pos);
            int textEnd = open < 0 ? _src.Length : open;
            string text = _src[pos..textEnd];
            if (trimNextNewline && text.StartsWith('\n')) text = text[1..];
            if (stripNextLeading) text = text.TrimStart();
            stripNextLeading = trimNextNewline = false;

            if (open < 0)
            {
                if (text.Length > 0) segments.Add(new Segment(SegmentKind.Text, text, [], PositionOf(pos)));
                break;
            }
            char kind = _src[open + 1];
            int inner = open + 2;
            char modifier = inner < _src.Length ? _src[inner] : '\0';
            if (modifier == '-') { text = text.TrimEnd(); inner++; }
            else if (modifier == '+') inner++;
            else if (kind is '%' or '#')
            {
                // lstrip_blocks: drop spaces/tabs between the line start and the tag.
                int b = open;
                while (b > pos && _src[b - 1] is ' ' or '\t') b--;
                if (b == 0 || _src[b - 1] == '\n')
                {
                    int k = text.Length, n = open - b;
                    while (n-- > 0 && k > 0 && text[k - 1] is ' ' or '\t') k--;
                    text = text[..k];
                }
            }
            if (text.Length > 0) segments.Add(new Segment(SegmentKind.Text, text, [], PositionOf(pos)));

            if (kind == '#')
            {
                int close = _src.IndexOf("#}", inner, StringComparison.Ordinal);
                if (close < 0) throw Error(open, "unterminated comment: missing #}");
                bool dash = _src[close - 1] == '-' && close - 1 >= inner;
                pos = close + 2;
                if (dash) stripNextLeading = true; else trimNextNewline = true;
                continue;
            }
            string closer = kind == '{' ? "}}" : "%}";
            var tokens = new List<Token>();
            int end = LexTag(inner, closer, tokens, out bool dashClose, out bool plusClose);
            var position = PositionOf(open);
            pos = end;
            if (dashClose) stripNextLeading = true;
            else if (kind == '%' && !plusClose) trimNextNewline = true;

            if (kind == '%' && tokens.Count > 0 && tokens[0].IsName("raw"))
            {
                // {% raw %}...{% endraw %}: literal text.
                int endRaw = FindEndRaw(pos, out int afterEndRaw, out bool rawDash);
                if (endRaw < 0) throw Error(open, "unterminated {% raw %}: missing {% endraw %}");
                string raw = _src[pos..endRaw];
                if (dashClose) raw = raw.TrimStart();
                else if (raw.StartsWith('\n')) raw = raw[1..];
                if (rawDash) raw = raw.TrimEnd();
                segments.Add(new Segment(SegmentKind.Text, raw, [], PositionOf(pos)));
                pos = afterEndRaw;
                trimNextNewline = true;
                continue;
            }
            tokens.Add(new Token(TokenKind.End, "", PositionOf(end - 2)));
            segments.Add(new Segment(kind == '{' ? SegmentKind.Output : SegmentKind.Statement, "", tokens, position));
        }
        return segments;
    }

    private int FindTagOpen(int from)
    {
        for (int i = from; i + 1 < _src.Length; i++)
            if (_src[i] == '{' && _src[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    private int FindEndRaw(int from, out int after, out bool dash)
    {
        for (int i = _src.IndexOf("{%", from, StringComparison.Ordinal); i >= 0; i = _src.IndexOf("{%", i + 2, StringComparison.Ordinal))
        {
            int j = i + 2;
            dash = j < _src.Length && _src[j] == '-';
            if (dash || j < _src.Length && _src[j] == '+') j++;
            while (j < _src.Length && char.IsWhiteSpace(_src[j])) j++;
            if (string.CompareOrdinal(_src, j, "endraw", 0, 6) != 0) continue;
            int close = _src.IndexOf("%}", j, StringComparison.Ordinal);
            if (close < 0) break;
            after = close + 2;
            return i;
        }
        after = -1; dash = false;
        return -1;
    }

    private static readonly string[] Operators =
        ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"];

    /// <summary>Lexes the inside of a tag up to <paramref name="closer"/>; returns the offset after it.</summary>
    private int LexTag(int i, string closer, List<Token> tokens, out bool dashClose, out bool plusClose)
    {
        int depth = 0;
        while (true)
        {
            while (i < _src.Length && char.IsWhiteSpace(_src[i])) i++;
            if (i >= _src.Length) throw Error(i, $"unexpected end of template: missing {closer}");
            if (depth == 0 && (string.CompareOrdinal(_src, i, closer, 0, 2) == 0
                || _src[i] is '-' or '+' && string.CompareOrdinal(_src, i + 1, closer, 0, 2) == 0))
            {
                dashClose = _src[i] == '-';
                plusClose = _src[i] == '+';
                return i + (dashClose || plusClose ? 3 : 2);
            }
            var position = PositionOf(i);
            char c = _src[i];
            if (char.IsLetter(c) || c == '_')
            {
                int s = i;
                while (i < _src.Length && (char.IsLetterOrDigit(_src[i]) || _src[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Name, _src[s..i], position));
            }
            else if (char.IsAsciiDigit(c))
            {
                int s = i;
                while (i < _src.Length && (char.IsAsciiDigit(_src[i]) || _src[i] == '_')) i++;
                bool isFloat = false;
                if (i + 1 < _src.Length && _src[i] == '.' && char.IsAsciiDigit(_src[i + 1]))
                {
                    isFloat = true; i++;
                    while (i < _src.Length && char.IsAsciiDigit(_src[i])) i++;
                }
                if (i < _src.Length && _src[i] is 'e' or 'E' && i + 1 < _src.Length && (char.IsAsciiDigit(_src[i + 1]) || _src[i + 1] is '+' or '-'))
                {
                    isFloat = true; i += 2;
                    while (i < _src.Length && char.IsAsciiDigit(_src[i])) i++;
                }
                tokens.Add(new Token(isFloat ? TokenKind.Float : TokenKind.Integer, _src[s..i].Replace("_", ""), position));
            }
            else if (c is '\'' or '"')
            {
                var sb = new StringBuilder();
                int s = i++;
                while (true)
                {
                    if (i >= _src.Length) throw Error(s, "unterminated string literal");
                    char ch = _src[i];
                    if (ch == c) { i++; break; }
                    if (ch == '\\' && i + 1 < _src.Length)
                    {
                        char e = _src[i + 1];
                        i += 2;
                        switch (e)
                        {
                            case 'n': sb.Append('\n'); break;
                            case 't': sb.Append('\t'); break;
                            case 'r': sb.Append('\r'); break;
                            case '\\': sb.Append('\\'); break;
                            case '\'': sb.Append('\''); break;
                            case '"': sb.Append('"'); break;
                            case '0': sb.Append('\0'); break;
                            case 'u' or 'x':
                            {
                                int digits = e == 'u' ? 4 : 2;
                                if (i + digits > _src.Length || !int.TryParse(_src.AsSpan(i, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                                    throw Error(i - 2, $"invalid \\{e} escape: expected {digits} hexadecimal digits");
                                sb.Append((char)code); i += digits; break;
                            }
                            case '\n': break;
                            default: sb.Append('\\').Append(e); break;
                        }
                        continue;
                    }
                    sb.Append(ch);
                    i++;
                }
                tokens.Add(new Token(TokenKind.String, sb.ToString(), position));
            }
            else
            {
                string? op = Operators.FirstOrDefault(o => string.CompareOrdinal(_src, i, o, 0, o.Length) == 0);
                if (op == null) throw Error(i, $"unexpected character '{c}'");
                if (op is "(" or "[" or "{") depth++;
                else if (op is ")" or "]" or "}") depth = Math.Max(0, depth - 1);
                tokens.Add(new Token(TokenKind.Operator, op, position));
                i += op.Length;
            }
        }
    }
}
