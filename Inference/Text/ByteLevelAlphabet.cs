namespace SteerMoE.Research.Inference.Text;

/// <summary>GPT-2's reversible map from the 256 byte values to printable characters (byte-level BPE).</summary>
internal static class ByteLevelAlphabet
{
    /// <summary>The character that stands for each byte.</summary>
    public static readonly char[] ByteToChar = Build();

    /// <summary>The byte each alphabet character stands for (-1 for other characters).</summary>
    public static readonly int[] CharToByte = Invert();

    private static char[] Build()
    {
        var map = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + extra++);
        }
        return map;
    }

    private static int[] Invert()
    {
        var inverse = new int[512];
        Array.Fill(inverse, -1);
        for (int b = 0; b < 256; b++) inverse[ByteToChar[b]] = b;
        return inverse;
    }
}
