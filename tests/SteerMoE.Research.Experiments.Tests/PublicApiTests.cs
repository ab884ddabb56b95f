using System.Reflection;
using System.Text;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>
/// Records the public API of every library in docs/api/public-api.txt, so that a change to it is deliberate:
/// the test fails on any difference and prints it. After an intended change, regenerate the file with
/// `STEERMOE_UPDATE_API=1 ./test --filter PublicApi` and commit it with the change.
/// </summary>
public class PublicApiTests
{
    private static readonly string[] Libraries =
    [
        "SteerMoE.Research.Inference", "SteerMoE.Research.Data", "SteerMoE.Research.Detection",
        "SteerMoE.Research.Steering", "SteerMoE.Research.Plots", "SteerMoE.Research.Evaluation", "SteerMoE.Research",
    ];

    [Fact]
    public void PublicApiMatchesTheRecordedListing()
    {
        string actual = Listing();
        string path = RepoPaths.Get("docs", "api", "public-api.txt");
        if (Environment.GetEnvironmentVariable("STEERMOE_UPDATE_API") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
        }
        Assert.True(File.Exists(path), $"{path} is missing: run STEERMOE_UPDATE_API=1 ./test --filter PublicApi");
        string expected = File.ReadAllText(path);
        var added = actual.Split('\n').Except(expected.Split('\n')).ToArray();
        var removed = expected.Split('\n').Except(actual.Split('\n')).ToArray();
        Assert.True(added.Length == 0 && removed.Length == 0,
            "The public API changed. If intended, regenerate docs/api/public-api.txt (STEERMOE_UPDATE_API=1 ./test --filter PublicApi).\n" +
            $"added:\n  {string.Join("\n  ", added)}\nremoved:\n  {string.Join("\n  ", removed)}");
    }

    [Fact]
    public void EveryPublicMemberHasXmlDocumentation()
    {
        var missing = new List<string>();
        foreach (var name in Libraries)
        {
            var asm = Assembly.Load(name);
            string xmlPath = Path.ChangeExtension(asm.Location, ".xml");
            Assert.True(File.Exists(xmlPath), $"{xmlPath}: no XML documentation file (GenerateDocumentationFile).");
            string xml = File.ReadAllText(xmlPath);
            foreach (var type in asm.GetExportedTypes())
            {
                if (!xml.Contains($"name=\"T:{type.FullName}\"")) missing.Add($"T:{type.FullName}");
            }
        }
        Assert.True(missing.Count == 0, "public types without XML documentation:\n  " + string.Join("\n  ", missing));
    }

    private static string Listing()
    {
        var sb = new StringBuilder();
        foreach (var name in Libraries)
        {
            var asm = Assembly.Load(name);
            sb.Append("assembly ").Append(name).Append('\n');
            foreach (var type in asm.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
            {
                sb.Append("  ").Append(Kind(type)).Append(' ').Append(type.FullName).Append('\n');
                var members = type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                    .Where(m => m is not MethodInfo { IsSpecialName: true } && !(m is MethodInfo mi && mi.GetBaseDefinition().DeclaringType != type && type.IsValueType == false && IsObjectOverride(mi)))
                    .Select(Describe).Distinct().Order(StringComparer.Ordinal);
                foreach (var m in members) sb.Append("    ").Append(m).Append('\n');
            }
        }
        return sb.ToString();
    }

    private static bool IsObjectOverride(MethodInfo m) => m.Name is "ToString" or "Equals" or "GetHashCode" or "Finalize";

    private static string Kind(Type t) =>
        t.IsEnum ? "enum" : t.IsInterface ? "interface" : t.IsValueType ? "struct" : t.IsAbstract && t.IsSealed ? "static class" : "class";

    private static string Describe(MemberInfo m) => m switch
    {
        ConstructorInfo c => $"ctor({Params(c)})",
        MethodInfo mi => $"{(mi.IsStatic ? "static " : "")}{TypeName(mi.ReturnType)} {mi.Name}{(mi.IsGenericMethod ? "<" + string.Join(",", mi.GetGenericArguments().Select(a => a.Name)) + ">" : "")}({Params(mi)})",
        PropertyInfo p => $"property {TypeName(p.PropertyType)} {p.Name}",
        FieldInfo f => $"{(f.IsStatic ? "static " : "")}field {TypeName(f.FieldType)} {f.Name}",
        EventInfo e => $"event {TypeName(e.EventHandlerType!)} {e.Name}",
        Type n => $"nested {n.Name}",
        _ => m.ToString() ?? m.Name,
    };

    private static string Params(MethodBase m) => string.Join(", ", m.GetParameters().Select(p => $"{TypeName(p.ParameterType)} {p.Name}"));

    private static string TypeName(Type t)
    {
        if (t.IsByRef) return "ref " + TypeName(t.GetElementType()!);
        if (t.IsArray) return TypeName(t.GetElementType()!) + "[]";
        if (t.IsPointer) return TypeName(t.GetElementType()!) + "*";
        if (!t.IsGenericType) return t.Name;
        string n = t.Name[..t.Name.IndexOf('`')];
        return $"{n}<{string.Join(",", t.GetGenericArguments().Select(TypeName))}>";
    }
}
