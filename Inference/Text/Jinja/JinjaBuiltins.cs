using System.Runtime.CompilerServices;
using System.Globalization;
using System.Text;
using static SteerMoE.Research.Inference.Text.Jinja.JinjaValues;

namespace SteerMoE.Research.Inference.Text.Jinja;

/// <summary>Operators, attribute access, filters, tests, string/dict methods and globals, with Python's results.</summary>
internal static class JinjaBuiltins
{
    // ---- attribute and item access (jinja2: obj.attr tries the attribute, then the item; obj[key] the reverse)

    public static object? GetAttribute(object? target, string name, JinjaInterpreter interpreter, Node at)
    {
        switch (target)
        {
            case Undefined u: throw new JinjaRuntimeError($"'{u.Name}' is undefined (reading .{name})");
            case null: throw new JinjaRuntimeError($"'None' has no attribute '{name}'");
            case OrderedDictionary<string, object?> d:
                if (DictMethod(d, name) is { } dm) return dm;
                return d.TryGetValue(name, out var v) ? v : new Undefined(name);
            case JinjaNamespace ns: return ns.Attributes.TryGetValue(name, out var nv) ? nv : new Undefined(name);
            case string s: return StringMethod(s, name) ?? new Undefined(name);
            case LoopInfo loop: return LoopAttribute(loop, name);
            case List<object?> l: return ListMethod(l, name) ?? new Undefined(name);
            default: return new Undefined(name);
        }
    }

    public static object? GetItem(object? target, object? key)
    {
        switch (target)
        {
            case Undefined u: throw new JinjaRuntimeError($"'{u.Name}' is undefined (reading [{Repr(key)}])");
            case OrderedDictionary<string, object?> d:
                return key is string k && d.TryGetValue(k, out var v) ? v : key is string k2 && DictMethod(d, k2) is { } m ? m : new Undefined(Str(key));
            case List<object?> or JinjaTuple or string when key is long or bool:
            {
                var list = target is string s ? s.EnumerateRunes().Select(r => (object?)r.ToString()).ToList() : target is JinjaTuple t ? t.Items : (List<object?>)target;
                long i = ToLong(key);
                if (i < 0) i += list.Count;
                return i >= 0 && i < list.Count ? list[(int)i] : new Undefined($"index {ToLong(key)}");
            }
            case JinjaNamespace ns when key is string nk: return ns.Attributes.TryGetValue(nk, out var nv) ? nv : new Undefined(nk);
            case LoopInfo loop when key is string lk: return LoopAttribute(loop, lk);
            case string s when key is string name: return StringMethod(s, name) ?? new Undefined(name);
            case null: throw new JinjaRuntimeError($"'NoneType' object is not subscriptable");
            default: return new Undefined(Str(key));
        }
    }

    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        var items = target switch
        {
            List<object?> l => l,
            JinjaTuple t => t.Items,
            string s => s.EnumerateRunes().Select(r => (object?)r.ToString()).ToList(),
            Undefined u => throw new JinjaRuntimeError($"'{u.Name}' is undefined (slicing)"),
            _ => throw new JinjaRuntimeError($"'{TypeName(target)}' object is not subscriptable"),
        };
        int n = items.Count;
        long st = step is null or Undefined ? 1 : ToLong(step);
        if (st == 0) throw new JinjaRuntimeError("slice step cannot be zero");
        long Clamp(object? v, long dflt, long low, long high)
        {
            if (v is null or Undefined) return dflt;
            long x = ToLong(v);
            if (x < 0) x += n;
            return Math.Clamp(x, low, high);
        }
        var result = new List<object?>();
        if (st > 0)
        {
            long a = Clamp(start, 0, 0, n), b = Clamp(stop, n, 0, n);
            for (long i = a; i < b; i += st) result.Add(items[(int)i]);
        }
        else
        {
            long a = Clamp(start, n - 1, -1, n - 1), b = Clamp(stop, -1, -1, n - 1);
            if (stop is not (null or Undefined) && ToLong(stop) < -n) b = -1;
            for (long i = a; i > b; i += st) result.Add(items[(int)i]);
        }
        return target switch
        {
            string => string.Concat(result.Cast<string>()),
            JinjaTuple => new JinjaTuple(result),
            _ => result,
        };
    }

    private static object? LoopAttribute(LoopInfo loop, string name)
    {
        int i = loop.Index0, n = loop.Items.Count;
        return name switch
        {
            "index0" => (long)i,
            "index" => (long)(i + 1),
            "revindex0" => (long)(n - 1 - i),
            "revindex" => (long)(n - i),
            "first" => i == 0,
            "last" => i == n - 1,
            "length" => (long)n,
            "depth" => 1L,
            "depth0" => 0L,
            "previtem" => i > 0 ? loop.Items[i - 1] : new Undefined("loop.previtem"),
            "nextitem" => i < n - 1 ? loop.Items[i + 1] : new Undefined("loop.nextitem"),
            "cycle" => new JinjaCallable("loop.cycle", (a, _) => a.Count == 0 ? throw new JinjaRuntimeError("no items for cycling given") : a[i % a.Count]),
            _ => new Undefined("loop." + name),
        };
    }

    // ---- operators

    public static object? Binary(string op, object? a, object? b)
    {
        switch (op)
        {
            case "==": return Equal(a, b);
            case "!=": return !Equal(a, b);
            case "<" or ">" or "<=" or ">=":
            {
                int c = Compare(a, b);
                return op switch { "<" => c < 0, ">" => c > 0, "<=" => c <= 0, _ => c >= 0 };
            }
            case "in": return Contains(b, a);
            case "not in": return !Contains(b, a);
            case "~": return Str(a) + Str(b);
        }
        if (a is Undefined ua) throw new JinjaRuntimeError($"'{ua.Name}' is undefined (operator {op})");
        if (b is Undefined ub) throw new JinjaRuntimeError($"'{ub.Name}' is undefined (operator {op})");
        switch (op)
        {
            case "+":
                if (a is string sa && b is string sb) return sa + sb;
                if (a is List<object?> la && b is List<object?> lb) return la.Concat(lb).ToList();
                if (a is JinjaTuple ta && b is JinjaTuple tb) return new JinjaTuple(ta.Items.Concat(tb.Items).ToList());
                break;
            case "*":
                if (a is string s1 && b is long or bool) return Repeat(s1, ToLong(b));
                if (b is string s2 && a is long or bool) return Repeat(s2, ToLong(a));
                if (a is List<object?> l1 && b is long n1)
                {
                    if (n1 > 0 && l1.Count * (double)n1 > TemplateLimits.MaxLength) throw new JinjaRuntimeError($"list * {n1}: more than {TemplateLimits.MaxLength:N0} items");
                    return Enumerable.Repeat(l1, (int)Math.Max(0, n1)).SelectMany(x => x).ToList();
                }
                break;
            case "%":
                if (a is string fmt) return PercentFormat(fmt, b);
                break;
        }
        if (!IsNumber(a) || !IsNumber(b))
            throw new JinjaRuntimeError($"unsupported operand type(s) for {op}: '{TypeName(a)}' and '{TypeName(b)}'");
        bool floats = a is double || b is double;
        switch (op)
        {
            case "+": return floats ? (object)(ToDouble(a) + ToDouble(b)) : ToLong(a) + ToLong(b);
            case "-": return floats ? (object)(ToDouble(a) - ToDouble(b)) : ToLong(a) - ToLong(b);
            case "*": return floats ? (object)(ToDouble(a) * ToDouble(b)) : ToLong(a) * ToLong(b);
            case "/":
                if (ToDouble(b) == 0) throw new JinjaRuntimeError("division by zero");
                return ToDouble(a) / ToDouble(b);
            case "//":
                if (ToDouble(b) == 0) throw new JinjaRuntimeError("integer division or modulo by zero");
                if (floats) return Math.Floor(ToDouble(a) / ToDouble(b));
                { long x = ToLong(a), y = ToLong(b), q = x / y; if ((x % y != 0) && ((x < 0) != (y < 0))) q--; return q; }
            case "%":
                if (ToDouble(b) == 0) throw new JinjaRuntimeError("integer division or modulo by zero");
                if (floats) { double x = ToDouble(a), y = ToDouble(b), r = x % y; return r != 0 && (r < 0) != (y < 0) ? r + y : r; }
                { long x = ToLong(a), y = ToLong(b), r = x % y; return r != 0 && (r < 0) != (y < 0) ? r + y : r; }
            case "**":
                if (!floats && ToLong(b) >= 0) { long r = 1, x = ToLong(a); for (long k = 0; k < ToLong(b); k++) r *= x; return r; }
                return Math.Pow(ToDouble(a), ToDouble(b));
        }
        throw new JinjaRuntimeError($"unsupported operator {op}");
    }

    private static string Repeat(string s, long n) =>
        n <= 0 || s.Length == 0 ? ""
        : s.Length * (double)n > TemplateLimits.MaxLength ? throw new JinjaRuntimeError($"string * {n}: more than {TemplateLimits.MaxLength:N0} characters")
        : new StringBuilder(s.Length * (int)n).Insert(0, s, (int)n).ToString();

    public static int Compare(object? a, object? b)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a).CompareTo(ToDouble(b));
        if (a is string x && b is string y) return string.CompareOrdinal(x, y) switch { < 0 => -1, > 0 => 1, _ => 0 };
        if (a is List<object?> la && b is List<object?> lb)
        {
            for (int i = 0; i < Math.Min(la.Count, lb.Count); i++)
            {
                if (Equal(la[i], lb[i])) continue;
                return Compare(la[i], lb[i]);
            }
            return la.Count.CompareTo(lb.Count);
        }
        throw new JinjaRuntimeError($"'<' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    public static bool Contains(object? container, object? item) => container switch
    {
        string s => item is string sub ? s.Contains(sub, StringComparison.Ordinal) : throw new JinjaRuntimeError($"'in <string>' requires string as left operand, not {TypeName(item)}"),
        List<object?> l => l.Any(x => Equal(x, item)),
        JinjaTuple t => t.Items.Any(x => Equal(x, item)),
        OrderedDictionary<string, object?> d => item is string k && d.ContainsKey(k),
        Undefined u => throw new JinjaRuntimeError($"'{u.Name}' is undefined (operator in)"),
        _ => throw new JinjaRuntimeError($"argument of type '{TypeName(container)}' is not iterable"),
    };

    /// <summary>Python's printf-style str % args (%s %r %d %i %f %x %%, with width/precision).</summary>
    private static string PercentFormat(string format, object? args)
    {
        var values = args is JinjaTuple t ? t.Items : [args];
        var sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%') { sb.Append(c); continue; }
            int j = i + 1;
            while (j < format.Length && "-+ 0#.0123456789".Contains(format[j])) j++;
            if (j >= format.Length) throw new JinjaRuntimeError("incomplete format");
            string spec = format[(i + 1)..j];
            char conv = format[j];
            i = j;
            if (conv == '%') { sb.Append('%'); continue; }
            if (next >= values.Count) throw new JinjaRuntimeError("not enough arguments for format string");
            var v = values[next++];
            int dot = spec.IndexOf('.');
            int? precision = dot >= 0 ? int.Parse(spec[(dot + 1)..] is { Length: > 0 } p ? p : "0", CultureInfo.InvariantCulture) : null;
            string widthSpec = (dot >= 0 ? spec[..dot] : spec).TrimStart('-', '+', ' ', '#');
            bool zeroPad = widthSpec.StartsWith('0');
            int width = widthSpec.Length > 0 ? int.Parse(widthSpec, CultureInfo.InvariantCulture) : 0;
            string text = conv switch
            {
                's' => Str(v),
                'r' => Repr(v),
                'd' or 'i' => ToLong(v is double d ? Math.Truncate(d) : v).ToString(CultureInfo.InvariantCulture),
                'f' or 'F' => ToDouble(v).ToString("F" + (precision ?? 6), CultureInfo.InvariantCulture),
                'x' => ToLong(v).ToString("x", CultureInfo.InvariantCulture),
                'X' => ToLong(v).ToString("X", CultureInfo.InvariantCulture),
                _ => throw new JinjaRuntimeError($"unsupported format character '{conv}'"),
            };
            if (conv == 's' && precision is int pr && text.Length > pr) text = text[..pr];
            if (text.Length < width) text = spec.Contains('-') ? text.PadRight(width) : text.PadLeft(width, zeroPad && conv != 's' ? '0' : ' ');
            sb.Append(text);
        }
        if (next < values.Count && args is JinjaTuple) throw new JinjaRuntimeError("not all arguments converted during string formatting");
        return sb.ToString();
    }

    // ---- methods

    private static JinjaCallable Method(string name, Func<List<object?>, Dictionary<string, object?>, object?> f) => new(name, f);

    private static object? Arg(List<object?> args, Dictionary<string, object?> kwargs, int index, string name, object? fallback) =>
        index < args.Count ? args[index] : kwargs.TryGetValue(name, out var v) ? v : fallback;

    private static string? Chars(object? v) => v is null or Undefined ? null : v as string ?? throw new JinjaRuntimeError($"expected a string of characters, got {TypeName(v)}");

    private static object? StringMethod(string s, string name) => name switch
    {
        "startswith" => Method(name, (a, k) => Arg(a, k, 0, "prefix", null) switch
        {
            string p => s.StartsWith(p, StringComparison.Ordinal),
            JinjaTuple t => t.Items.Any(x => x is string p && s.StartsWith(p, StringComparison.Ordinal)),
            var x => throw new JinjaRuntimeError($"startswith first arg must be str or a tuple of str, not {TypeName(x)}"),
        }),
        "endswith" => Method(name, (a, k) => Arg(a, k, 0, "suffix", null) switch
        {
            string p => s.EndsWith(p, StringComparison.Ordinal),
            JinjaTuple t => t.Items.Any(x => x is string p && s.EndsWith(p, StringComparison.Ordinal)),
            var x => throw new JinjaRuntimeError($"endswith first arg must be str or a tuple of str, not {TypeName(x)}"),
        }),
        "strip" => Method(name, (a, k) => PyStrip(s, Chars(Arg(a, k, 0, "chars", null)), true, true)),
        "lstrip" => Method(name, (a, k) => PyStrip(s, Chars(Arg(a, k, 0, "chars", null)), true, false)),
        "rstrip" => Method(name, (a, k) => PyStrip(s, Chars(Arg(a, k, 0, "chars", null)), false, true)),
        "split" => Method(name, (a, k) => PySplit(s, Chars(Arg(a, k, 0, "sep", null)), ToLong(Arg(a, k, 1, "maxsplit", -1L)))),
        "rsplit" => Method(name, (a, k) => PyRSplit(s, Chars(Arg(a, k, 0, "sep", null)), ToLong(Arg(a, k, 1, "maxsplit", -1L)))),
        "splitlines" => Method(name, (_, _) => s.Split('\n').Select(x => (object?)x.TrimEnd('\r')).ToList() is var l && s.EndsWith('\n') ? l.Take(l.Count - 1).ToList() : s.Split('\n').Select(x => (object?)x.TrimEnd('\r')).ToList()),
        "replace" => Method(name, (a, k) => PyReplace(s, Str(Arg(a, k, 0, "old", "")), Str(Arg(a, k, 1, "new", "")), ToLong(Arg(a, k, 2, "count", -1L)))),
        "upper" => Method(name, (_, _) => s.ToUpperInvariant()),
        "lower" => Method(name, (_, _) => s.ToLowerInvariant()),
        "title" => Method(name, (_, _) => Title(s)),
        "capitalize" => Method(name, (_, _) => s.Length == 0 ? s : s[..1].ToUpperInvariant() + s[1..].ToLowerInvariant()),
        "find" => Method(name, (a, k) => (long)s.IndexOf(Str(Arg(a, k, 0, "sub", "")), StringComparison.Ordinal)),
        "rfind" => Method(name, (a, k) => (long)s.LastIndexOf(Str(Arg(a, k, 0, "sub", "")), StringComparison.Ordinal)),
        "count" => Method(name, (a, k) => { string sub = Str(Arg(a, k, 0, "sub", "")); long n = 0; for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0 && sub.Length > 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++; return n; }),
        "join" => Method(name, (a, k) => string.Join(s, IterateValues(Arg(a, k, 0, "iterable", null)).Select(Str))),
        "format" => Method(name, (a, k) => BraceFormat(s, a, k)),
        "isdigit" => Method(name, (_, _) => s.Length > 0 && s.All(char.IsDigit)),
        "isalpha" => Method(name, (_, _) => s.Length > 0 && s.All(char.IsLetter)),
        "isspace" => Method(name, (_, _) => s.Length > 0 && s.All(char.IsWhiteSpace)),
        "islower" => Method(name, (_, _) => s.Any(char.IsLetter) && s == s.ToLowerInvariant()),
        "isupper" => Method(name, (_, _) => s.Any(char.IsLetter) && s == s.ToUpperInvariant()),
        _ => null,
    };

    private static object? DictMethod(OrderedDictionary<string, object?> d, string name) => name switch
    {
        "get" => Method(name, (a, k) => Arg(a, k, 0, "key", null) is string key && d.TryGetValue(key, out var v) ? v : Arg(a, k, 1, "default", null)),
        "items" => Method(name, (_, _) => d.Select(p => (object?)new JinjaTuple([p.Key, p.Value])).ToList()),
        "keys" => Method(name, (_, _) => d.Keys.Cast<object?>().ToList()),
        "values" => Method(name, (_, _) => d.Values.ToList()),
        _ => null,
    };

    private static object? ListMethod(List<object?> l, string name) => name switch
    {
        "index" => Method(name, (a, _) => { int i = l.FindIndex(x => Equal(x, a.FirstOrDefault())); return i >= 0 ? i : throw new JinjaRuntimeError($"{Repr(a.FirstOrDefault())} is not in list"); }),
        "count" => Method(name, (a, _) => (long)l.Count(x => Equal(x, a.FirstOrDefault()))),
        _ => null,
    };

    private static bool IsPyWhite(char c) => char.IsWhiteSpace(c) || c is '\x1c' or '\x1d' or '\x1e' or '\x1f';

    private static string PyStrip(string s, string? chars, bool left, bool right)
    {
        int a = 0, b = s.Length;
        Func<char, bool> strip = chars == null ? IsPyWhite : chars.Contains;
        if (left) while (a < b && strip(s[a])) a++;
        if (right) while (b > a && strip(s[b - 1])) b--;
        return s[a..b];
    }

    private static List<object?> PySplit(string s, string? sep, long maxSplit)
    {
        var result = new List<object?>();
        if (sep == null)
        {
            int i = 0;
            while (true)
            {
                while (i < s.Length && IsPyWhite(s[i])) i++;
                if (i >= s.Length) break;
                if (maxSplit >= 0 && result.Count == maxSplit) { result.Add(s[i..].TrimEnd()); break; }
                int j = i;
                while (j < s.Length && !IsPyWhite(s[j])) j++;
                result.Add(s[i..j]);
                i = j;
            }
            return result;
        }
        if (sep.Length == 0) throw new JinjaRuntimeError("empty separator");
        int pos = 0;
        while (maxSplit < 0 || result.Count < maxSplit)
        {
            int k = s.IndexOf(sep, pos, StringComparison.Ordinal);
            if (k < 0) break;
            result.Add(s[pos..k]);
            pos = k + sep.Length;
        }
        result.Add(s[pos..]);
        return result;
    }

    private static List<object?> PyRSplit(string s, string? sep, long maxSplit)
    {
        if (maxSplit < 0 || sep == null) return PySplit(s, sep, maxSplit);
        var result = new List<object?>();
        int end = s.Length;
        while (result.Count < maxSplit)
        {
            int k = end - sep.Length >= 0 ? s.LastIndexOf(sep, end - 1, StringComparison.Ordinal) : -1;
            if (k < 0 || k + sep.Length > end) break;
            result.Insert(0, s[(k + sep.Length)..end]);
            end = k;
        }
        result.Insert(0, s[..end]);
        return result;
    }

    private static string PyReplace(string s, string old, string replacement, long count)
    {
        if (count < 0) return old.Length == 0 ? s : s.Replace(old, replacement, StringComparison.Ordinal);
        var sb = new StringBuilder();
        int pos = 0;
        for (long n = 0; n < count; n++)
        {
            int k = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (k < 0 || old.Length == 0) break;
            sb.Append(s, pos, k - pos).Append(replacement);
            pos = k + old.Length;
        }
        return sb.Append(s, pos, s.Length - pos).ToString();
    }

    private static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool previousCased = false;
        foreach (char c in s)
        {
            sb.Append(previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousCased = char.IsLetter(c);
        }
        return sb.ToString();
    }

    private static string BraceFormat(string format, List<object?> args, Dictionary<string, object?> kwargs)
    {
        var sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c == '{' && i + 1 < format.Length && format[i + 1] == '{') { sb.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < format.Length && format[i + 1] == '}') { sb.Append('}'); i++; continue; }
            if (c != '{') { sb.Append(c); continue; }
            int close = format.IndexOf('}', i);
            if (close < 0) throw new JinjaRuntimeError("Single '{' encountered in format string");
            string field = format[(i + 1)..close];
            int colon = field.IndexOf(':');
            if (colon >= 0) field = field[..colon];
            object? v = field.Length == 0 ? (auto < args.Count ? args[auto++] : throw new JinjaRuntimeError("Replacement index out of range"))
                : int.TryParse(field, out int idx) ? (idx < args.Count ? args[idx] : throw new JinjaRuntimeError("Replacement index out of range"))
                : kwargs.TryGetValue(field, out var kv) ? kv : throw new JinjaRuntimeError($"KeyError: '{field}'");
            sb.Append(Str(v));
            i = close;
        }
        return sb.ToString();
    }

    internal static IEnumerable<object?> IterateValues(object? v) => v switch
    {
        null => throw new JinjaRuntimeError("'NoneType' object is not iterable"),
        Undefined => [],
        List<object?> l => l,
        JinjaTuple t => t.Items,
        string s => s.EnumerateRunes().Select(r => (object?)r.ToString()),
        OrderedDictionary<string, object?> d => d.Keys.Cast<object?>(),
        _ => throw new JinjaRuntimeError($"'{TypeName(v)}' object is not iterable"),
    };

    // ---- filters

    public static object? Filter(string name, object? v, List<object?> a, Dictionary<string, object?> k, JinjaInterpreter interpreter)
    {
        switch (name)
        {
            case "length" or "count":
                return v switch
                {
                    string s => (long)s.EnumerateRunes().Count(),
                    List<object?> l => (long)l.Count,
                    JinjaTuple t => (long)t.Items.Count,
                    OrderedDictionary<string, object?> dl => (long)dl.Count,
                    Undefined => 0L,
                    _ => throw new JinjaRuntimeError($"object of type '{TypeName(v)}' has no len()"),
                };
            case "tojson":
            {
                var indentArg = Arg(a, k, 0, "indent", null);
                int? indent = indentArg is null or Undefined ? null : (int)ToLong(indentArg);
                string itemSep = indent.HasValue ? "," : ", ", keySep = ": ";
                if (k.TryGetValue("separators", out var seps) && seps is JinjaTuple or List<object?>)
                {
                    var parts = IterateValues(seps).ToList();
                    if (parts.Count != 2) throw new JinjaRuntimeError("tojson separators must be (item_separator, key_separator)");
                    itemSep = Str(parts[0]); keySep = Str(parts[1]);
                }
                return ToJson(v, indent, itemSep, keySep, Truthy(k.GetValueOrDefault("sort_keys")));
            }
            case "trim":
                return PyStrip(Str(v), Chars(Arg(a, k, 0, "chars", null)), true, true);
            case "upper": return Str(v).ToUpperInvariant();
            case "lower": return Str(v).ToLowerInvariant();
            case "title": return Title(Str(v));
            case "capitalize": { string s = Str(v); return s.Length == 0 ? s : s[..1].ToUpperInvariant() + s[1..].ToLowerInvariant(); }
            case "string": return Str(v);
            case "safe": return v;
            case "e" or "escape":
                return Str(v).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&#34;").Replace("'", "&#39;");
            case "default" or "d":
            {
                bool boolean = Truthy(Arg(a, k, 1, "boolean", false));
                return v is Undefined || boolean && !Truthy(v) ? Arg(a, k, 0, "default_value", "") : v;
            }
            case "first": { var l = IterateValues(v).ToList(); return l.Count > 0 ? l[0] : new Undefined("first of empty sequence"); }
            case "last": { var l = IterateValues(v).ToList(); return l.Count > 0 ? l[^1] : new Undefined("last of empty sequence"); }
            case "list": return IterateValues(v).ToList();
            case "reverse": return v is string rs ? string.Concat(rs.EnumerateRunes().Reverse()) : IterateValues(v).Reverse().ToList();
            case "join":
            {
                string sep = Str(Arg(a, k, 0, "d", ""));
                var attr = Arg(a, k, 1, "attribute", null);
                var items = IterateValues(v);
                if (attr is string at) items = items.Select(x => GetAttribute(x, at, interpreter, null!));
                return string.Join(sep, items.Select(Str));
            }
            case "replace":
            {
                long count = ToLong(Arg(a, k, 2, "count", -1L) ?? -1L);
                return PyReplace(Str(v), Str(Arg(a, k, 0, "old", "")), Str(Arg(a, k, 1, "new", "")), count);
            }
            case "int":
                return v switch
                {
                    long l => l,
                    bool b => b ? 1L : 0L,
                    double dv => (long)Math.Truncate(dv),
                    string s when long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long p) => p,
                    string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double p) => (long)Math.Truncate(p),
                    _ => Arg(a, k, 0, "default", 0L),
                };
            case "float":
                return v switch
                {
                    long or bool or double => ToDouble(v),
                    string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double p) => p,
                    _ => Arg(a, k, 0, "default", 0.0),
                };
            case "abs": return v is long l2 ? (object)Math.Abs(l2) : v is double d2 ? Math.Abs(d2) : throw new JinjaRuntimeError($"bad operand type for abs(): '{TypeName(v)}'");
            case "round":
            {
                int precision = (int)ToLong(Arg(a, k, 0, "precision", 0L));
                string method = Str(Arg(a, k, 1, "method", "common"));
                double x = ToDouble(v), f = Math.Pow(10, precision);
                return method switch
                {
                    "ceil" => Math.Ceiling(x * f) / f,
                    "floor" => Math.Floor(x * f) / f,
                    _ => Math.Round(x * f, MidpointRounding.AwayFromZero) / f,
                };
            }
            case "items":
                return v is OrderedDictionary<string, object?> d ? d.Select(p => (object?)new JinjaTuple([p.Key, p.Value])).ToList()
                    : v is Undefined ? new List<object?>() : throw new JinjaRuntimeError($"items filter needs a mapping, got {TypeName(v)}");
            case "dictsort":
                return v is OrderedDictionary<string, object?> ds ? ds.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase).Select(p => (object?)new JinjaTuple([p.Key, p.Value])).ToList()
                    : throw new JinjaRuntimeError($"dictsort needs a mapping, got {TypeName(v)}");
            case "map":
            {
                var items = IterateValues(v);
                if (k.TryGetValue("attribute", out var attr))
                {
                    var dflt = k.GetValueOrDefault("default");
                    return items.Select(x => { var r = GetAttribute(x, Str(attr), interpreter, null!); return r is Undefined && k.ContainsKey("default") ? dflt : r; }).ToList();
                }
                if (a.Count == 0) throw new JinjaRuntimeError("map needs a filter name or attribute=");
                string filter = Str(a[0]);
                var rest = a.Skip(1).ToList();
                return items.Select(x => Filter(filter, x, rest, [], interpreter)).ToList();
            }
            case "select" or "reject":
            {
                bool keep = name == "select";
                return IterateValues(v).Where(x => (a.Count == 0 ? Truthy(x) : Test(Str(a[0]), x, a.Skip(1).ToList())) == keep).ToList();
            }
            case "selectattr" or "rejectattr":
            {
                bool keep = name == "selectattr";
                if (a.Count == 0) throw new JinjaRuntimeError($"{name} needs an attribute name");
                string attr = Str(a[0]);
                return IterateValues(v).Where(x =>
                {
                    var value = GetAttribute(x, attr, interpreter, null!);
                    return (a.Count == 1 ? Truthy(value) : Test(Str(a[1]), value, a.Skip(2).ToList())) == keep;
                }).ToList();
            }
            case "sort":
            {
                bool reverse = Truthy(Arg(a, k, 0, "reverse", false));
                var attr = Arg(a, k, 2, "attribute", null);
                var items = IterateValues(v).ToList();
                Func<object?, object?> key = attr is string at ? x => GetAttribute(x, at, interpreter, null!) : x => x is string s ? s.ToLowerInvariant() : x;
                List<object?> sorted;
                // The sort wraps a comparison's error (mixed types) in an InvalidOperationException: unwrap it.
                try { sorted = items.Select((x, i) => (x, i)).OrderBy(p => key(p.x), Comparer<object?>.Create(Compare)).ThenBy(p => p.i).Select(p => p.x).ToList(); }
                catch (InvalidOperationException e) when (e.InnerException is JinjaRuntimeError inner) { throw inner; }
                if (reverse) sorted.Reverse();
                return sorted;
            }
            case "unique":
            {
                var result = new List<object?>();
                foreach (var x in IterateValues(v)) if (!result.Any(y => Equal(x is string s ? s.ToLowerInvariant() : x, y is string t ? t.ToLowerInvariant() : y))) result.Add(x);
                return result;
            }
            case "sum": return IterateValues(v).Aggregate(Arg(a, k, 1, "start", 0L), (acc, x) => Binary("+", acc, x));
            case "min": return IterateValues(v).DefaultIfEmpty(new Undefined("min of empty sequence")).Aggregate((x, y) => Compare(x, y) <= 0 ? x : y);
            case "max": return IterateValues(v).DefaultIfEmpty(new Undefined("max of empty sequence")).Aggregate((x, y) => Compare(x, y) >= 0 ? x : y);
            case "attr": return GetAttribute(v, Str(a.FirstOrDefault()), interpreter, null!);
            case "truncate":
            {
                string s = Str(v);
                int length = (int)ToLong(Arg(a, k, 0, "length", 255L));
                bool killwords = Truthy(Arg(a, k, 1, "killwords", false));
                string end = Str(Arg(a, k, 2, "end", "..."));
                int leeway = (int)ToLong(Arg(a, k, 3, "leeway", 5L));
                if (s.Length <= length + leeway) return s;
                if (killwords) return s[..Math.Max(0, length - end.Length)] + end;
                string cut = s[..Math.Max(0, length - end.Length)];
                int space = cut.LastIndexOf(' ');
                return (space >= 0 ? cut[..space] : cut) + end;
            }
            case "indent":
            {
                string s = Str(v);
                var w = Arg(a, k, 0, "width", 4L);
                string pad = w is string ws ? ws : new string(' ', (int)ToLong(w));
                bool first = Truthy(Arg(a, k, 1, "first", false)), blank = Truthy(Arg(a, k, 2, "blank", false));
                var lines = s.Split('\n');
                for (int i = 0; i < lines.Length; i++)
                    if ((i > 0 || first) && (blank || lines[i].Trim().Length > 0)) lines[i] = pad + lines[i];
                return string.Join("\n", lines);
            }
            case "wordcount": return (long)PySplit(Str(v), null, -1).Count;
            case "format": return PercentFormat(Str(v), a.Count == 1 ? a[0] : new JinjaTuple(a));
            case "batch":
            {
                int size = (int)ToLong(a.FirstOrDefault() ?? 1L);
                return IterateValues(v).Chunk(size).Select(c => (object?)c.ToList()).ToList();
            }
        }
        throw new JinjaRuntimeError($"no filter named '{name}'");
    }

    // ---- tests

    public static bool Test(string name, object? v, List<object?> a) => name switch
    {
        "defined" => v is not Undefined,
        "undefined" => v is Undefined,
        "none" => v is null,
        "boolean" => v is bool,
        "true" => v is true,
        "false" => v is false,
        "integer" => v is long,
        "float" => v is double,
        "number" => v is long or double,
        "string" => v is string,
        "mapping" => v is OrderedDictionary<string, object?>,
        "iterable" => v is string or List<object?> or JinjaTuple or OrderedDictionary<string, object?>,
        "sequence" => v is string or List<object?> or JinjaTuple or OrderedDictionary<string, object?>,
        "callable" => v is JinjaCallable,
        "odd" => ToLong(v) % 2 != 0,
        "even" => ToLong(v) % 2 == 0,
        "divisibleby" => ToLong(v) % ToLong(a.FirstOrDefault()) == 0,
        "lower" => v is string s && s == s.ToLowerInvariant(),
        "upper" => v is string s2 && s2 == s2.ToUpperInvariant(),
        "sameas" => ReferenceEquals(v, a.FirstOrDefault()) || v is null && a.FirstOrDefault() is null || v is bool b && a.FirstOrDefault() is bool c && b == c,
        "equalto" or "eq" or "==" => Equal(v, a.FirstOrDefault()),
        "ne" or "!=" => !Equal(v, a.FirstOrDefault()),
        "lt" or "lessthan" or "<" => Compare(v, a.FirstOrDefault()) < 0,
        "gt" or "greaterthan" or ">" => Compare(v, a.FirstOrDefault()) > 0,
        "le" or "<=" => Compare(v, a.FirstOrDefault()) <= 0,
        "ge" or ">=" => Compare(v, a.FirstOrDefault()) >= 0,
        "in" => Contains(a.FirstOrDefault(), v),
        "escaped" => false,
        _ => throw new JinjaRuntimeError($"no test named '{name}'"),
    };
}
