namespace SteerMoE.Research.Data.Files;

/// <summary>
/// Writes a file so that a reader never sees it half-written and a failure never clobbers what was
/// there: write a temporary file beside the target, flush it, then rename it over the target.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes through <paramref name="write"/> into a temporary file, then renames it to <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        if (Directory.Exists(full)) throw new IOException($"{full}: is a folder; expected a file path to write.");
        try { Directory.CreateDirectory(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw Unwritable(dir, e); }
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        FileStream created;
        try { created = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw Unwritable(dir, e); }
        try
        {
            using (var fs = created)
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>
    /// Creates the output folder <paramref name="dir"/> if needed and checks that files can be created in it, so that a
    /// run fails at once with one clear line (a file given as the folder, /proc, no permission) rather than later.
    /// </summary>
    public static void EnsureWritableFolder(string dir)
    {
        string full = Path.GetFullPath(dir);
        if (File.Exists(full)) throw new IOException($"{full}: is a file; expected an output folder.");
        try
        {
            Directory.CreateDirectory(full);
            string probe = Path.Combine(full, $".write-check.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw Unwritable(full, e); }
    }

    // One line for the user instead of .NET's text (which names the temporary file, e.g. '/proc/.x.st.28732.tmp').
    private static IOException Unwritable(string dir, Exception e) => new(
        $"{dir}: cannot write files here ({e switch
        {
            UnauthorizedAccessException => "permission denied",
            _ when FileOnPath(dir) is { } file => $"{file} is a file, not a folder",
            DirectoryNotFoundException => "not a folder that files can be created in",
            _ => "the folder cannot be created or written",
        }}); choose another output folder.", e);

    private static string? FileOnPath(string dir)
    {
        for (string? d = dir; d != null; d = Path.GetDirectoryName(d))
            if (File.Exists(d)) return d;
        return null;
    }

    /// <summary>Writes UTF-8 text (no byte-order mark) atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true); w.Write(text); });
}
