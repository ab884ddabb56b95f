using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SteerMoE.Research.Catalogs;
using SteerMoE.Research.Inference.Files;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>
/// `steermoe tokenize --tokenizer DIR_OR_FILE (--text T | --file F | --chat MESSAGES.json [--add-generation-prompt])
/// [--var NAME=VALUE]... [--add-special-tokens] [--verbose]`: prints {"ids": [...]} (and tokens with offsets).
/// </summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "a model folder (tokenizer.json, tokenizer_config.json) or a tokenizer.json", Required = true };
        var text = new Option<string>("--text") { Description = "text to encode exactly as given" };
        var file = new Option<string>("--file") { Description = "a UTF-8 file whose whole content is encoded (nothing trimmed)" };
        var chat = new Option<string>("--chat") { Description = "a JSON file with a list of {role, content} messages, rendered by the chat template" };
        var generation = new Option<bool>("--add-generation-prompt") { Description = "end the chat prompt with the assistant's header" };
        var vars = new Option<string[]>("--var") { Description = "a template variable NAME=VALUE; VALUE is parsed as JSON (a bare word is a string)", AllowMultipleArgumentsPerToken = false };
        var special = new Option<bool>("--add-special-tokens") { Description = "add the tokenizer's special tokens (e.g. BOS) around the encoded text" };
        var verbose = new Option<bool>("--verbose") { Description = "also print each token with its code point offsets (and the rendered prompt)" };
        var command = new Command("tokenize", "Encode text or a chat with a model's tokenizer and print the token ids.")
            { tokenizer, text, file, chat, generation, vars, special, verbose };
        command.SetAction(result =>
        {
            string? t = result.GetValue(text), f = result.GetValue(file), c = result.GetValue(chat);
            if ((t != null ? 1 : 0) + (f != null ? 1 : 0) + (c != null ? 1 : 0) != 1)
                throw new ArgumentException("tokenize: give exactly one of --text, --file, --chat.");
            if (result.GetValue(generation) && c == null) throw new ArgumentException("--add-generation-prompt: only with --chat.");
            var variables = SteerMoE.Research.Catalogs.DetectionCatalog.ParseTemplateVariables(result.GetValue(vars) ?? []);
            if (variables.Count > 0 && c == null) throw new ArgumentException("--var: only with --chat.");
            var request = new TokenizeRequest(CommandRunner.Required(result, tokenizer),
                Text: t ?? (f != null ? ReadUtf8(f) : null),
                Messages: c != null ? ReadMessages(c) : null,
                AddGenerationPrompt: result.GetValue(generation), Variables: variables, AddSpecialTokens: result.GetValue(special));
            var output = new SteerMoEContext().Models.Tokenize(request);
            Console.Out.Write(Format(output, result.GetValue(verbose)));
            Console.Out.Write('\n');
            return 0;
        });
        return command;
    }

    private static string ReadUtf8(string path) =>
        File.Exists(path) ? StrictUtf8.ReadFile(path) : throw new FileNotFoundException($"{path}: file not found (--file).", path);

    private static JsonElement ReadMessages(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found (--chat).", path);
        try
        {
            using var doc = StrictJson.ParseFile(path);
            return doc.RootElement.Clone();
        }
        catch (FormatException e) { throw new FormatException($"{e.Message} (expected a list of {{\"role\": ..., \"content\": ...}} messages)"); }
    }

    private static string Format(TokenizeResult result, bool verbose)
    {
        var e = result.Encoding;
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false }))
        {
            w.WriteStartObject();
            w.WriteStartArray("ids");
            foreach (int id in e.Ids) w.WriteNumberValue(id);
            w.WriteEndArray();
            if (verbose)
            {
                w.WriteStartArray("tokens");
                for (int i = 0; i < e.Count; i++)
                {
                    w.WriteStartObject();
                    w.WriteNumber("id", e.Ids[i]);
                    w.WriteString("token", e.Tokens[i]);
                    w.WriteNumber("start", e.Offsets[i].Start);
                    w.WriteNumber("end", e.Offsets[i].End);
                    if (e.IsSpecial[i]) w.WriteBoolean("special", true);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                if (result.RenderedPrompt != null) w.WriteString("prompt", result.RenderedPrompt);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
