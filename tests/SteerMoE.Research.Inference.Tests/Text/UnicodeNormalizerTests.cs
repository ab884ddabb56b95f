using System.Text;
using SteerMoE.Research.Inference.Text;

namespace SteerMoE.Research.Inference.Tests.Text;

/// <summary>The embedded normalizer against Python's unicodedata outputs (values computed with /usr/bin/python3).</summary>
public sealed class UnicodeNormalizerTests
{
    [Theory]
    // input, form, expected: from unicodedata.normalize(form, input) in Python 3.11 (Unicode 14)
    [InlineData("e\u0301", "NFC", "\u00e9")]
    [InlineData("\u00e9", "NFD", "e\u0301")]
    [InlineData("a\u0323\u0302", "NFC", "\u1ead")]          // ordering then composition (ậ)
    [InlineData("a\u0302\u0323", "NFC", "\u1ead")]
    [InlineData("\u1100\u1161\u11a8", "NFC", "\uac01")]      // Hangul jamo compose (각)
    [InlineData("\uac01", "NFD", "\u1100\u1161\u11a8")]
    [InlineData("\ufb01", "NFKC", "fi")]
    [InlineData("\u00bd", "NFKD", "1\u20442")]
    [InlineData("\u2126", "NFC", "\u03a9")]                 // singleton decomposition (Ohm -> Omega)
    [InlineData("\u0958", "NFC", "\u0915\u093c")]           // composition exclusion stays decomposed
    [InlineData("q\u0307\u0323", "NFC", "q\u0323\u0307")]
    public void MatchesPythonUnicodedata(string input, string form, string expected)
    {
        var f = form switch { "NFC" => NormalizationForm.FormC, "NFD" => NormalizationForm.FormD, "NFKC" => NormalizationForm.FormKC, _ => NormalizationForm.FormKD };
        var result = UnicodeNormalizer.Normalize(CodePointText.FromString(input), f);
        Assert.Equal(expected, CodePointText.ToUtf16(result, 0, result.Length));
    }
}
