using System.Runtime.CompilerServices;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SteerMoE.Research.Inference.Text.Jinja;

/// <summary>jinja2's Undefined: prints as nothing, is false, iterates as empty; using it further is an error.</summary>
internal sealed class Undefined(string name)
{
    public string Name { get; } = name;
}

/// <summary>A Python tuple (prints with parentheses).</summary>
internal sealed class JinjaTuple(List<object?> items)
{
    public List<object?> Items { get; } = items;
}

/// <summary>namespace(...): the one mutable object templates may assign attributes of.</summary>
internal sealed class JinjaNamespace
{
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}

/// <summary>A callable value: macro, global function or bound method.</summary>
internal sealed class JinjaCallable(string name, Func<List<object?>, Dictionary<string, object?>, object?> invoke)
{
    public string Name { get; } = name;
    public object? Invoke(List<object?> args, Dictionary<string, object?> kwargs) => invoke(args, kwargs);
}

/// <summary>The loop variable of a for loop.</summary>
internal sealed class LoopInfo
{
    public required List<object?> Items { get; init; }
    public int Index0 { get; set; }
}

/// <summary>Python semantics of the values templates handle: str(), repr(), truth, equality, json.dumps.</summary>
internal static class JinjaValues
{
    /// <summary>Converts a JSON value to a template value (objects keep their key order).</summary>
    public static object? FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().Aggregate(new OrderedDictionary<string, object?>(StringComparer.Ordinal), (d, p) => { d[p.Name] = FromJson(p.Value); return d; }),
        JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out long l) && !e.GetRawText().Contains('.') && !e.GetRawText().Contains('e') && !e.GetRawText().Contains('E') ? l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>Converts a .NET value (string, number, bool, list, dictionary, JsonElement) to a template value.</summary>
    public static object? FromClr(object? value) => value switch
    {
        null => null,
        JsonElement e => FromJson(e),
        string or bool or long or double => value,
        int i => (long)i,
        float f => (double)f,
        decimal m => (double)m,
        OrderedDictionary<string, object?> d => d,
        IDictionary<string, object?> d => d.Aggregate(new OrderedDictionary<string, object?>(StringComparer.Ordinal), (o, p) => { o[p.Key] = FromClr(p.Value); return o; }),
        IReadOnlyDictionary<string, object?> d => d.Aggregate(new OrderedDictionary<string, object?>(StringComparer.Ordinal), (o, p) => { o[p.Key] = FromClr(p.Value); return o; }),
        IDictionary<string, string> d => d.Aggregate(new OrderedDictionary<string, object?>(StringComparer.Ordinal), (o, p) => { o[p.Key] = p.Value; return o; }),
        System.Collections.IEnumerable list => list.Cast<object?>().Select(FromClr).ToList(),
        _ => throw new ArgumentException($"a value of type {value.GetType().Name} cannot be passed to a chat template (use strings, numbers, booleans, lists, dictionaries)"),
    };

    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        JinjaTuple t => t.Items.Count > 0,
        OrderedDictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        JinjaTuple => "tuple",
        OrderedDictionary<string, object?> => "dict",
        JinjaNamespace => "Namespace",
        JinjaCallable => "function",
        _ => v.GetType().Name,
    };

    /// <summary>Python str().</summary>
    public static string Str(object? v) => v switch
    {
        null => "None",
        Undefined => "",
        string s => s,
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatRepr(d),
        _ => Repr(v),
    };

    /// <summary>Python repr().</summary>
    public static string Repr(object? v)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack(); // lists can nest as deep as a loop makes them
        switch (v)
        {
            case string s: return StringRepr(s);
            case List<object?> l: return "[" + string.Join(", ", l.Select(Repr)) + "]";
            case JinjaTuple t: return t.Items.Count == 1 ? "(" + Repr(t.Items[0]) + ",)" : "(" + string.Join(", ", t.Items.Select(Repr)) + ")";
            case OrderedDictionary<string, object?> d: return "{" + string.Join(", ", d.Select(p => StringRepr(p.Key) + ": " + Repr(p.Value))) + "}";
            case JinjaNamespace: return "<Namespace>";
            case JinjaCallable c: return $"<function {c.Name}>";
            case Undefined: return "Undefined";
            default: return Str(v);
        }
    }

    private static string StringRepr(string s)
    {
        char quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder(s.Length + 2).Append(quote);
        foreach (var r in s.EnumerateRunes())
        {
            int c = r.Value;
            if (c == quote || c == '\\') sb.Append('\\').Append((char)c);
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else if (c < 0x20 || c == 0x7F) sb.Append("\\x").Append(c.ToString("x2"));
            else if (c >= 0x80 && c < 0xA0) sb.Append("\\x").Append(c.ToString("x2"));
            else sb.Append(r.ToString());
        }
        return sb.Append(quote).ToString();
    }

    /// <summary>Python's float repr: shortest round-trip digits, exponent outside 1e-4 ≤ |x| &lt; 1e16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        string r = d.ToString("R", CultureInfo.InvariantCulture);
        // Split into digits and exponent, then lay out as Python does.
        string mantissa = r, sign = "";
        int exp = 0;
        int e = r.IndexOfAny(['E', 'e']);
        if (e >= 0) { mantissa = r[..e]; exp = int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture); }
        if (mantissa.StartsWith('-')) { sign = "-"; mantissa = mantissa[1..]; }
        int dot = mantissa.IndexOf('.');
        string digits = dot >= 0 ? mantissa.Remove(dot, 1) : mantissa;
        int pointPos = (dot >= 0 ? dot : mantissa.Length) + exp; // decimal point position within digits
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') { lead++; pointPos--; }
        digits = digits[lead..].TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        int decimalExponent = pointPos - 1;
        if (decimalExponent < -4 || decimalExponent >= 16)
        {
            string m = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            return $"{sign}{m}e{(decimalExponent < 0 ? "-" : "+")}{Math.Abs(decimalExponent):00}";
        }
        if (pointPos <= 0) return sign + "0." + new string('0', -pointPos) + digits;
        if (pointPos >= digits.Length) return sign + digits + new string('0', pointPos - digits.Length) + ".0";
        return sign + digits[..pointPos] + "." + digits[pointPos..];
    }

    /// <summary>Python ==.</summary>
    public static bool Equal(object? a, object? b)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (IsNumber(a) && IsNumber(b)) return a is double || b is double ? ToDouble(a) == ToDouble(b) : ToLong(a) == ToLong(b);
        return (a, b) switch
        {
            (null, null) => true,
            (null, _) or (_, null) => false,
            (string x, string y) => x == y,
            (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => Equal(p.First, p.Second)),
            (JinjaTuple x, JinjaTuple y) => x.Items.Count == y.Items.Count && x.Items.Zip(y.Items).All(p => Equal(p.First, p.Second)),
            (OrderedDictionary<string, object?> x, OrderedDictionary<string, object?> y) => x.Count == y.Count && x.All(p => y.TryGetValue(p.Key, out var v) && Equal(p.Value, v)),
            _ => ReferenceEquals(a, b),
        };
    }

    public static bool IsNumber(object? v) => v is long or double or bool;
    public static double ToDouble(object? v) => v switch { long l => l, double d => d, bool b => b ? 1 : 0, _ => throw new JinjaRuntimeError($"expected a number, got {TypeName(v)}") };
    public static long ToLong(object? v) => v switch { long l => l, bool b => b ? 1 : 0, double d => (long)d, _ => throw new JinjaRuntimeError($"expected an integer, got {TypeName(v)}") };

    /// <summary>json.dumps(v, ensure_ascii=False, indent, separators, sort_keys) as transformers' tojson filter calls it.</summary>
    public static string ToJson(object? v, int? indent, string itemSeparator, string keySeparator, bool sortKeys)
    {
        var sb = new StringBuilder();
        Write(v, 0);
        return sb.ToString();

        void Write(object? x, int level)
        {
            RuntimeHelpers.EnsureSufficientExecutionStack();
            switch (x)
            {
                case null: sb.Append("null"); break;
                case Undefined u: throw new JinjaRuntimeError($"'{u.Name}' is undefined (tojson)");
                case bool b: sb.Append(b ? "true" : "false"); break;
                case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
                case double d: sb.Append(double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : FloatRepr(d)); break;
                case string s: JsonString(sb, s); break;
                case List<object?> list: WriteList(list, level); break;
                case JinjaTuple t: WriteList(t.Items, level); break;
                case OrderedDictionary<string, object?> d:
                {
                    if (d.Count == 0) { sb.Append("{}"); break; }
                    var pairs = sortKeys ? d.OrderBy(p => p.Key, StringComparer.Ordinal).ToList() : d.ToList();
                    sb.Append('{');
                    for (int i = 0; i < pairs.Count; i++)
                    {
                        if (i > 0) sb.Append(itemSeparator);
                        NewLine(level + 1);
                        JsonString(sb, pairs[i].Key);
                        sb.Append(keySeparator);
                        Write(pairs[i].Value, level + 1);
                    }
                    NewLine(level);
                    sb.Append('}');
                    break;
                }
                default: throw new JinjaRuntimeError($"Object of type {TypeName(x)} is not JSON serializable");
            }
        }

        void WriteList(List<object?> list, int level)
        {
            if (list.Count == 0) { sb.Append("[]"); return; }
            sb.Append('[');
            for (int i = 0; i < list.Count; i++)
            {
                if (i > 0) sb.Append(itemSeparator);
                NewLine(level + 1);
                Write(list[i], level + 1);
            }
            NewLine(level);
            sb.Append(']');
        }

        void NewLine(int level)
        {
            if (indent is int n) sb.Append('\n').Append(' ', n * level);
        }
    }

    private static void JsonString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4"));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
