using System.Runtime.InteropServices;

namespace SteerMoE.Research.Inference.Checkpoints;

/// <summary>
/// Memory for weights the engine copies out of the mapped checkpoint (the interleaved decode layout): 2 MiB aligned
/// and, on Linux, offered transparent huge pages (fewer TLB misses while a decode step streams gigabytes), and the
/// mapped source pages handed back once copied, so that they leave the process's resident set.
/// </summary>
internal static unsafe partial class AnonymousMemory
{
    private const int HugePage = 2 << 20;
    private const int MadvDontNeed = 4, MadvHugePage = 14;

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);

    /// <summary>Uninitialised memory of at least <paramref name="bytes"/> bytes, 2 MiB aligned.</summary>
    public static nint Allocate(long bytes)
    {
        long rounded = (bytes + HugePage - 1) / HugePage * HugePage;
        nint memory = (nint)NativeMemory.AlignedAlloc((nuint)rounded, HugePage);
        // A hint only: where transparent huge pages are off or unsupported, the call fails and nothing changes.
        if (OperatingSystem.IsLinux()) _ = Madvise(memory, (nuint)rounded, MadvHugePage);
        return memory;
    }

    /// <summary>Frees what <see cref="Allocate"/> returned.</summary>
    public static void Free(nint memory) => NativeMemory.AlignedFree((void*)memory);

    /// <summary>
    /// Drops the whole pages inside [start, start + bytes) of a read-only file mapping from the resident set (they are
    /// read again from the file, should anything touch them).
    /// </summary>
    public static void Release(void* start, long bytes)
    {
        if (!OperatingSystem.IsLinux()) return;
        long page = Environment.SystemPageSize;
        long from = ((long)start + page - 1) / page * page, to = ((long)start + bytes) / page * page;
        if (to > from) _ = Madvise((nint)from, (nuint)(to - from), MadvDontNeed);
    }
}
