using System.Text.Json;
using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Files;

namespace SteerMoE.Research.Inference.Checkpoints;

/// <summary>
/// The weights of a model folder: one <c>model.safetensors</c>, or the shards named by
/// <c>model.safetensors.index.json</c> (<c>weight_map</c>: tensor → file). Every file is memory-mapped;
/// weights stay in their stored dtype. Lookups of a missing tensor name it and the folder.
/// </summary>
public sealed unsafe class Checkpoint : IDisposable
{
    private readonly List<SafetensorsFile> _files = new();
    private readonly Dictionary<string, SafetensorsFile> _byTensor = new(StringComparer.Ordinal);
    private string _prefix = "";   // prepended to every name asked for (a multimodal checkpoint's "language_model.")

    /// <summary>The model folder.</summary>
    public string Directory { get; }

    /// <summary>The mapped files.</summary>
    public IReadOnlyList<SafetensorsFile> Files => _files;

    /// <summary>
    /// True when <see cref="Matrix"/> returns BF16 matrices (Cols a multiple of 16) in the interleaved decode layout
    /// (<see cref="WeightMatrix.Interleaved"/>), copied once into anonymous memory.
    /// </summary>
    public bool InterleaveBf16 { get; }

    private Checkpoint(string directory, bool interleaveBf16) { Directory = directory; InterleaveBf16 = interleaveBf16; }

    /// <summary>
    /// Opens the safetensors weights of a model folder (sharded or not). With a <paramref name="prefix"/> every name the
    /// caller gives is looked up with the prefix in front ("model.norm.weight" reads "language_model.model.norm.weight");
    /// <paramref name="interleaveBf16"/>: see <see cref="InterleaveBf16"/>.
    /// </summary>
    public static Checkpoint Open(string directory, string prefix = "", bool interleaveBf16 = false)
    {
        if (!System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"{directory}: model folder not found.");
        var checkpoint = new Checkpoint(directory, interleaveBf16) { _prefix = prefix };
        try
        {
            string index = Path.Combine(directory, "model.safetensors.index.json");
            string single = Path.Combine(directory, "model.safetensors");
            if (File.Exists(index)) checkpoint.OpenSharded(index);
            else if (File.Exists(single)) checkpoint.Add(SafetensorsFile.Open(single), null);
            else
            {
                var any = System.IO.Directory.GetFiles(directory, "*.safetensors").Order(StringComparer.Ordinal).ToList();
                if (any.Count == 0) throw new FileNotFoundException($"{directory}: no model.safetensors, model.safetensors.index.json or *.safetensors file.");
                foreach (var f in any) checkpoint.Add(SafetensorsFile.Open(f), null);
            }
            return checkpoint;
        }
        catch { checkpoint.Dispose(); throw; }
    }

    private void OpenSharded(string index)
    {
        using (var doc = StrictJson.ParseFile(index))
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new FormatException($"{index}: field 'weight_map': expected an object mapping tensor names to shard files.");
            var wanted = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var p in map.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String) throw new FormatException($"{index}: weight_map.{p.Name}: expected a file name.");
                string file = p.Value.GetString()!;
                if (file.Contains('/') || file.Contains('\\') || file.Contains("..")) throw new FormatException($"{index}: weight_map.{p.Name}: '{file}' must be a file name in the model folder.");
                if (!wanted.TryGetValue(file, out var names)) wanted[file] = names = new List<string>();
                names.Add(p.Name);
            }
            foreach (var (file, names) in wanted.OrderBy(w => w.Key, StringComparer.Ordinal))
            {
                string shardPath = Path.Combine(Directory, file);
                if (!File.Exists(shardPath)) throw new FileNotFoundException($"{index}: weight_map names the shard '{file}' (for '{names[0]}'), which is not in the model folder.", shardPath);
                var shard = SafetensorsFile.Open(shardPath);
                Add(shard, null);
                foreach (var n in names)
                    if (shard.Find(n) is null) throw new InvalidDataException($"{index}: weight_map names tensor '{n}' in {file}, but {file} has no such tensor.");
            }
        }
    }

    private void Add(SafetensorsFile file, string? _)
    {
        _files.Add(file);
        foreach (var name in file.Tensors.Keys)
        {
            if (_byTensor.TryGetValue(name, out var other))
                throw new InvalidDataException($"{Directory}: tensor '{name}' is stored twice ({other.Path} and {file.Path}).");
            _byTensor[name] = file;
        }
    }

    /// <summary>All tensor names.</summary>
    public IEnumerable<string> TensorNames => _byTensor.Keys;

    /// <summary>True when the checkpoint stores the tensor.</summary>
    public bool Contains(string name) => _byTensor.ContainsKey(_prefix + name);

    /// <summary>The entry of a tensor; a missing tensor throws naming it and the folder.</summary>
    public TensorInfo Info(string name) =>
        _byTensor.TryGetValue(_prefix + name, out var f) ? f.Find(_prefix + name)! : throw new InvalidDataException($"{Directory}: tensor '{_prefix + name}' is missing from the checkpoint.");

    /// <summary>Pointer to a tensor's stored bytes (valid while the checkpoint is open).</summary>
    public void* Pointer(string name) => _byTensor.TryGetValue(_prefix + name, out var f) ? f.Pointer(f.Find(_prefix + name)!) : throw new InvalidDataException($"{Directory}: tensor '{_prefix + name}' is missing from the checkpoint.");

    /// <summary>Total stored bytes of all tensors.</summary>
    public long ByteCount => _files.Sum(f => f.Tensors.Values.Sum(t => t.ByteLength));

    /// <summary>
    /// A tensor that must have exactly the given shape (from config.json) and a float dtype; throws naming
    /// the tensor, its file, the stored and the expected shape otherwise.
    /// </summary>
    public TensorInfo Require(string name, params long[] shape)
    {
        var t = Info(name);
        if (!t.Shape.SequenceEqual(shape))
            throw new InvalidDataException($"{t.Source}: tensor '{name}' has shape {t.ShapeText}, but config.json implies [{string.Join(", ", shape)}].");
        return t;
    }

    /// <summary>
    /// A weight matrix [rows, cols] in its stored float dtype (F32, BF16, F16), over the mapped data; with
    /// <see cref="InterleaveBf16"/> and <paramref name="decodeLayout"/>, a BF16 matrix whose Cols is a multiple of 16
    /// comes in the interleaved layout instead (made once per tensor; the mapped pages it was read from are given
    /// back, so resident memory does not double). Pass <paramref name="decodeLayout"/> false for a table read a row
    /// at a time (an untied embedding).
    /// </summary>
    public WeightMatrix Matrix(string name, int rows, int cols, bool decodeLayout = true)
    {
        var t = Require(name, rows, cols);
        RequireFloat(t);
        var stored = new WeightMatrix(t.Type, Pointer(name), rows, cols);
        if (!InterleaveBf16 || !decodeLayout || t.Type != DType.BF16 || cols % WeightMatrix.InterleavedCols != 0) return stored;
        lock (_interleaved)
        {
            if (_interleaved.TryGetValue(name, out var made)) return made.Matrix;
            long bytes = WeightMatrix.InterleavedBytes(rows, cols);
            var memory = AnonymousMemory.Allocate(bytes);
            var matrix = stored.Interleave((void*)memory);
            AnonymousMemory.Release(stored.Data, t.ByteLength);
            _interleaved[name] = (memory, bytes, matrix);
            return matrix;
        }
    }

    /// <summary>
    /// Drops every mapped page from the resident set (nothing is lost: a page is read again from the file when used),
    /// after a load that copied the matrices out; what <see cref="Matrix"/> gave back tensor by tensor leaves the pages
    /// two tensors share.
    /// </summary>
    public void ReleaseMappedPages()
    {
        foreach (var f in _files) f.ReleaseResidentPages();
    }

    private readonly Dictionary<string, (nint Memory, long Bytes, WeightMatrix Matrix)> _interleaved = new(StringComparer.Ordinal);

    /// <summary>Bytes held in interleaved copies of BF16 matrices (see <see cref="Matrix"/>).</summary>
    public long InterleavedByteCount { get { lock (_interleaved) return _interleaved.Values.Sum(v => v.Bytes); } }

    /// <summary>A small float tensor (norm weights, biases) widened to fp32; checked against <paramref name="shape"/>.</summary>
    public float[] Floats(string name, params long[] shape)
    {
        var t = Require(name, shape);
        RequireFloat(t);
        return TensorConvert.ToSingle(t, Pointer(name));
    }

    /// <summary>Throws unless the tensor is F32, BF16 or F16.</summary>
    public static void RequireFloat(TensorInfo t)
    {
        if (t.Type is not (DType.F32 or DType.BF16 or DType.F16))
            throw new InvalidDataException($"{t.Source}: tensor '{t.Name}' has dtype {SafetensorsFile.DTypeName(t.Type)}, but a weight must be F32, BF16 or F16.");
    }

    /// <summary>
    /// Rows [first, first + rows) of expert e of a 3-D tensor stored [E, totalRows, cols] (Granite's fused
    /// input_linear [E, 2I, H]: gate rows then up rows; output_linear [E, H, I]) as a weight matrix [rows, cols] over the
    /// mapped data, no copy.
    /// </summary>
    public WeightMatrix ExpertRows(string name, int expert, int experts, int totalRows, int cols, int first, int rows)
    {
        var t = Require(name, experts, totalRows, cols);
        RequireFloat(t);
        if (first < 0 || first + rows > totalRows) throw new ArgumentOutOfRangeException(nameof(first), $"{t.Source}: tensor '{name}': rows {first}..{first + rows - 1} of {totalRows}.");
        int size = SafetensorsFile.ElementSize(t.Type);
        byte* start = (byte*)Pointer(name) + ((long)expert * totalRows + first) * cols * size;
        return new WeightMatrix(t.Type, start, rows, cols);
    }

    private readonly List<Array> _derived = new();

    /// <summary>
    /// Expert e of a 3-D tensor stored [E, in, out] (gpt-oss's unquantised experts) as a weight matrix
    /// [out, in], transposed once into pinned memory in the stored dtype (replacing, not doubling, the
    /// mapped pages it was read from, which the OS may drop).
    /// </summary>
    public WeightMatrix TransposedExpert(string name, int expert, int experts, int inFeatures, int outFeatures)
    {
        var t = Require(name, experts, inFeatures, outFeatures);
        RequireFloat(t);
        int size = SafetensorsFile.ElementSize(t.Type);
        var copy = GC.AllocateUninitializedArray<byte>(inFeatures * outFeatures * size, pinned: true);
        byte* src = (byte*)Pointer(name) + (long)expert * inFeatures * outFeatures * size;
        fixed (byte* dst = copy)
            switch (size)
            {
                case 2: Transpose((ushort*)src, (ushort*)dst, inFeatures, outFeatures); break;
                case 4: Transpose((uint*)src, (uint*)dst, inFeatures, outFeatures); break;
                default: throw new NotSupportedException($"{t.Source}: tensor '{name}': {size}-byte elements cannot be transposed.");
            }
        lock (_derived) _derived.Add(copy);
        fixed (byte* dst = copy) return new WeightMatrix(t.Type, dst, outFeatures, inFeatures);   // pinned: the address stays valid
    }

    /// <summary>dst [cols, rows] = src [rows, cols]ᵀ, in 64 × 64 tiles (Llama 4 Scout's experts are 5120 × 16384 each).</summary>
    private static void Transpose<T>(T* src, T* dst, int rows, int cols) where T : unmanaged
    {
        const int Tile = 64;
        for (int r0 = 0; r0 < rows; r0 += Tile)
            for (int c0 = 0; c0 < cols; c0 += Tile)
            {
                int r1 = Math.Min(rows, r0 + Tile), c1 = Math.Min(cols, c0 + Tile);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++) dst[(long)c * rows + r] = src[(long)r * cols + c];
            }
    }

    /// <summary>
    /// A constant all-zero fp32 matrix [rows, cols] that the checkpoint does not store (the one-logit router of a
    /// dense architecture), held with the derived copies so that it lives as long as the checkpoint.
    /// </summary>
    public WeightMatrix Zeros(int rows, int cols)
    {
        var zeros = GC.AllocateArray<float>(rows * cols, pinned: true);   // [rows, cols] fp32 zeros
        lock (_derived) _derived.Add(zeros);
        fixed (float* p = zeros) return new WeightMatrix(DType.F32, p, rows, cols);   // pinned: the address stays valid
    }

    /// <summary>Bytes held in transposed copies and constants (see <see cref="TransposedExpert"/>, <see cref="Zeros"/>).</summary>
    public long DerivedByteCount => _derived.Sum(a => (long)Buffer.ByteLength(a));

    /// <summary>Unmaps every file.</summary>
    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
        _files.Clear();
        lock (_interleaved)
        {
            foreach (var (memory, _, _) in _interleaved.Values) AnonymousMemory.Free(memory);
            _interleaved.Clear();
        }
    }
}
