using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace SteerMoE.Research.Inference.Kernels.Benchmarks;

/// <summary>PyTorch's fp32 and bf16 <c>linear</c> on one shape (GFLOP/s from the median run).</summary>
public sealed record TorchTimings(GemmShape Shape, double Fp32Gflops, double Bf16Gflops);

/// <summary>
/// An external reference for the kernel benchmark: Debian's PyTorch (<c>/usr/bin/python3</c> with torch, CPU)
/// running <c>torch.nn.functional.linear</c> on the same shapes and thread count, timed the same way (warm-up,
/// median; small batches rotate over weight copies of ≥ 256 MB; a product slower than 2 s is timed once).
/// </summary>
public static class TorchReference
{
    private const string Script = """
        import json, sys, time, torch
        torch.set_num_threads(int(sys.argv[1]))
        print(json.dumps({"torch": torch.__version__}), flush=True)
        for name, rows, cols, tokens in json.loads(sys.argv[2]):
            result = {}
            for dtype in (torch.float32, torch.bfloat16):
                copies = 1 if tokens > 4 else (256 << 20) // (rows * cols * 2) + 1
                ws = [(torch.rand(rows, cols) * 0.1 - 0.05).to(dtype) for _ in range(copies)]
                x = (torch.rand(tokens, cols) * 2 - 1).to(dtype)
                times = []
                with torch.inference_mode():
                    start = time.perf_counter(); torch.nn.functional.linear(x, ws[0]); first = time.perf_counter() - start
                    if first > 2.0:
                        times = [first]
                    else:
                        torch.nn.functional.linear(x, ws[1 % copies])
                        i = 0
                        while len(times) < 5 or sum(times) < 0.3:
                            start = time.perf_counter(); torch.nn.functional.linear(x, ws[i % copies]); times.append(time.perf_counter() - start); i += 1
                times.sort()
                result[str(dtype)] = 2.0 * rows * cols * tokens / times[len(times) // 2] / 1e9
                del ws
            print(json.dumps({"shape": [name, rows, cols, tokens], "fp32": result["torch.float32"], "bf16": result["torch.bfloat16"]}), flush=True)
        """;

    /// <summary>The Python with Debian's torch (the first python3 on PATH is a different one).</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>Runs the shapes through PyTorch; <paramref name="version"/> receives torch's version.</summary>
    public static List<TorchTimings> Run(IReadOnlyList<GemmShape> shapes, int threads, out string version, Action<string>? progress = null)
    {
        if (!File.Exists(Python)) throw new FileNotFoundException($"--with-torch: {Python} not found (Debian's python3 with python3-torch).", Python);
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add(threads.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(JsonSerializer.Serialize(shapes.Select(s => new object[] { s.Name, s.Rows, s.Cols, s.Tokens })));
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"--with-torch: could not start {Python}.");
        var errors = process.StandardError.ReadToEndAsync();
        var results = new List<TorchTimings>();
        version = "?";
        while (process.StandardOutput.ReadLine() is { } line)
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (root.TryGetProperty("torch", out var v)) { version = v.GetString() ?? "?"; continue; }
            var shape = shapes[results.Count];
            var timings = new TorchTimings(shape, root.GetProperty("fp32").GetDouble(), root.GetProperty("bf16").GetDouble());
            results.Add(timings);
            progress?.Invoke($"torch {shape.Name} T={shape.Tokens}: fp32 {timings.Fp32Gflops:F1}, bf16 {timings.Bf16Gflops:F1} GFLOP/s");
        }
        process.WaitForExit();
        if (process.ExitCode != 0 || results.Count != shapes.Count)
            throw new InvalidOperationException($"--with-torch: {Python} exited with {process.ExitCode} after {results.Count} of {shapes.Count} shapes: {errors.Result.Trim()}");
        return results;
    }
}
