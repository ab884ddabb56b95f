using System.Text;
using SteerMoE.Research.Data.RoutingLogs;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Data.Tests.RoutingLogs;

public class NpyFormatTests
{
    // Header dicts and sizes as numpy 1.24's np.save writes them (printed with /usr/bin/python3).
    [Theory]
    [InlineData(NpyType.Float32, new long[] { 2, 3 }, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")]
    [InlineData(NpyType.Int32, new long[] { 5 }, "{'descr': '<i4', 'fortran_order': False, 'shape': (5,), }")]
    [InlineData(NpyType.UInt8, new long[] { 0, 3, 8 }, "{'descr': '|u1', 'fortran_order': False, 'shape': (0, 3, 8), }")]
    public void HeaderIsNumpysByteForByte(NpyType type, long[] shape, string dict)
    {
        var header = NpyFormat.Header(type, shape);
        Assert.Equal(128, header.Length);
        Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 118, 0 }, header[..10]);
        Assert.Equal(dict.PadRight(117) + "\n", Encoding.ASCII.GetString(header, 10, 118));
    }

    [Fact]
    public void StreamedArrayReadsBackAndResumesByTruncating()
    {
        string path = Path.Combine(RepoPaths.TempDir("npy"), "a.npy");
        using (var w = NpyStreamWriter.Open(path, NpyType.Float32, [2, 3]))
        {
            w.Append<float>([1, 2, 3, 4, 5, 6]);
            w.Flush();
            var mid = NpyArray.Load(path);   // valid after a flush
            Assert.Equal(new long[] { 1, 2, 3 }, mid.Shape);
            w.Append<float>([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
        }
        var all = NpyArray.Load(path);
        Assert.Equal(new long[] { 3, 2, 3 }, all.Shape);
        Assert.Equal(Enumerable.Range(1, 18).Select(i => (float)i), all.Floats());
        using (var w = NpyStreamWriter.Open(path, NpyType.Float32, [2, 3], keepRows: 1))
            w.Append<float>([-1, -2, -3, -4, -5, -6]);
        var resumed = NpyArray.Load(path);
        Assert.Equal(new long[] { 2, 2, 3 }, resumed.Shape);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6 }, resumed.Floats());
        var e = Assert.Throws<InvalidDataException>(() => NpyStreamWriter.Open(path, NpyType.Float32, [2, 3], keepRows: 5));
        Assert.Contains("holds 2 complete rows", e.Message);
        var shape = Assert.Throws<InvalidDataException>(() => NpyStreamWriter.Open(path, NpyType.Int32, [2, 3], keepRows: 1));
        Assert.Contains(path, shape.Message);
        Assert.Throws<ArgumentException>(() => { using var w = NpyStreamWriter.Open(path, NpyType.Float32, [2, 3]); w.Append<float>([1, 2]); });
    }

    [Fact]
    public void BadFilesNameTheFileAndWhatIsWrong()
    {
        string dir = RepoPaths.TempDir("npy");
        string notNpy = Path.Combine(dir, "x.npy");
        File.WriteAllBytes(notNpy, Encoding.ASCII.GetBytes("hello world, not numpy"));
        Assert.Contains($"{notNpy}: not a .npy file", Assert.Throws<InvalidDataException>(() => NpyArray.Load(notNpy)).Message);
        string f8 = Path.Combine(dir, "f8.npy");
        var header = NpyFormat.Header(NpyType.Float32, [1]);
        int at = Encoding.Latin1.GetString(header).IndexOf("<f4", StringComparison.Ordinal);
        header[at + 2] = (byte)'8';
        File.WriteAllBytes(f8, [.. header, 0, 0, 0, 0, 0, 0, 0, 0]);
        Assert.Contains("descr '<f8' is not supported", Assert.Throws<InvalidDataException>(() => NpyArray.Load(f8)).Message);
        string shortData = Path.Combine(dir, "short.npy");
        File.WriteAllBytes(shortData, [.. NpyFormat.Header(NpyType.Int32, [4]), 1, 0, 0, 0]);
        Assert.Contains("needs 16 data bytes, the file has 4", Assert.Throws<InvalidDataException>(() => NpyArray.Load(shortData)).Message);
        // A key beyond the three is refused (numpy's reader does the same); the padding keeps the header size.
        string extraKey = Path.Combine(dir, "extra.npy");
        var withKey = NpyFormat.Header(NpyType.Int32, [1]);
        string text = Encoding.Latin1.GetString(withKey);
        int end = text.IndexOf('}');
        byte[] insert = Encoding.ASCII.GetBytes("'x': 1, ");
        Array.Copy(withKey, end, withKey, end + insert.Length, withKey.Length - 1 - (end + insert.Length));   // shift into the space padding
        insert.CopyTo(withKey, end);
        File.WriteAllBytes(extraKey, [.. withKey, 1, 0, 0, 0]);
        Assert.Equal($"{extraKey}: .npy header: unknown key 'x'; expected only 'descr', 'fortran_order' and 'shape'.", Assert.Throws<InvalidDataException>(() => NpyArray.Load(extraKey)).Message);
    }
}
