using System.Runtime.InteropServices;
using System.Text;

namespace Hakmem.Lab.Output;

/// <summary>An advisory lock on a file (flock(2)), held by an open descriptor for as long as the holder
/// lives: the kernel releases it when the process dies, however it dies, so a lock is never stale and
/// there is no window between checking a lock and taking it. Exclusive locks keep a second writer out of
/// a result directory; shared locks mark a build snapshot as in use. Everything goes through raw
/// descriptors: .NET's own FileStream takes flock locks of its own on open, which would collide with
/// these.</summary>
public sealed partial class FileLock : IDisposable
{
    /// <summary>A test seam: "opened:PATH" or "locked:PATH" pauses the taker of an exclusive lock after it
    /// opened the file (before flock) or after it holds the lock (before it writes its name in it): it
    /// creates PATH.reached and waits while PATH exists. Tests drive a contender into the races this way.</summary>
    public const string PauseVariable = "HKLAB_TEST_LOCK_PAUSE";

    private int _fd;
    public string Path { get; }

    private FileLock(string path, int fd)
    {
        Path = path;
        _fd = fd;
    }

    /// <summary>The exclusive lock of <paramref name="path"/> (created when missing) with <paramref name="holder"/>
    /// written in it for the messages of those who find it taken; null when another process holds it.</summary>
    public static FileLock? TryExclusive(string path, string holder)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            int fd = Open(path, OCreat | ORdwr);
            Pause("opened");
            if (flock(fd, LockEx | LockNb) != 0)
            {
                int error = Marshal.GetLastPInvokeError();
                close(fd);
                if (error == Ewouldblock) return null;
                throw new IOException($"cannot lock {path}: {Marshal.GetPInvokeErrorMessage(error)}");
            }
            // The holder before us unlinks the file while it still holds it: a file we opened before that
            // and locked after is no longer the lock. Only the file at the path is.
            if (!SameFile(fd, path))
            {
                close(fd);
                continue;
            }
            Pause("locked");
            byte[] text = Encoding.UTF8.GetBytes(holder);
            ftruncate(fd, 0);
            pwrite(fd, text, (nuint)text.Length, 0);
            return new FileLock(path, fd);
        }
        throw new IOException($"cannot lock {path}: it keeps being replaced");
    }

    /// <summary>A shared lock of <paramref name="path"/> (created when missing), never refused by other
    /// shared holders; null when an exclusive holder has it, or it cannot be opened.</summary>
    public static FileLock? TryShared(string path)
    {
        int fd = open(path, OCreat | ORdonly | OCloexec, 0x1a4);
        if (fd < 0) return null;
        if (flock(fd, LockSh | LockNb) == 0) return new FileLock(path, fd);
        close(fd);
        return null;
    }

    /// <summary>Whether some process holds a lock (shared or exclusive) on <paramref name="path"/>: tried
    /// with an exclusive lock that is given back at once.</summary>
    public static bool IsHeld(string path)
    {
        int fd = open(path, ORdonly | OCloexec, 0);
        if (fd < 0) return false;
        try
        {
            if (flock(fd, LockEx | LockNb) == 0)
            {
                flock(fd, LockUn);
                return false;
            }
            return true;
        }
        finally
        {
            close(fd);
        }
    }

    /// <summary>What the holder wrote in the lock file ("" when it has not yet, or there is none).</summary>
    public static string ReadHolder(string path)
    {
        int fd = open(path, ORdonly | OCloexec, 0);
        if (fd < 0) return "";
        try
        {
            var buffer = new byte[4096];
            nint n = pread(fd, buffer, (nuint)buffer.Length, 0);
            return n > 0 ? Encoding.UTF8.GetString(buffer, 0, (int)n).Trim() : "";
        }
        finally
        {
            close(fd);
        }
    }

    /// <summary>Gives the lock back. An exclusive lock's file is removed first, while it is still held, and
    /// only when it is still this lock's file (a lock file that was moved away with its directory stays).</summary>
    public void Dispose()
    {
        if (_fd < 0) return;
        if (SameFile(_fd, Path)) unlink(Path);
        close(_fd);
        _fd = -1;
    }

    /// <summary>Gives the lock back and leaves the file (a shared lock of a snapshot).</summary>
    public void Release()
    {
        if (_fd < 0) return;
        close(_fd);
        _fd = -1;
    }

    private static int Open(string path, int flags)
    {
        int fd = open(path, flags | OCloexec, 0x1a4);
        if (fd < 0) throw new IOException($"cannot open {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        return fd;
    }

    private static unsafe bool SameFile(int fd, string path)
    {
        byte* a = stackalloc byte[256];
        byte* b = stackalloc byte[256];
        if (fstat(fd, a) != 0 || stat(path, b) != 0) return false;
        // st_dev and st_ino are the first two 64-bit fields of struct stat on x86-64 and arm64 alike.
        return *(ulong*)a == *(ulong*)b && ((ulong*)a)[1] == ((ulong*)b)[1];
    }

    private static void Pause(string stage)
    {
        if (Environment.GetEnvironmentVariable(PauseVariable) is not { } pause || !pause.StartsWith(stage + ":", StringComparison.Ordinal)) return;
        string file = pause[(stage.Length + 1)..];
        File.WriteAllText(file + ".reached", "");
        while (File.Exists(file)) Thread.Sleep(10);
    }

    private const int ORdonly = 0, ORdwr = 2, OCreat = 0x40, OCloexec = 0x80000;
    private const int LockSh = 1, LockEx = 2, LockNb = 4, LockUn = 8, Ewouldblock = 11;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(int fd, int operation);

    [LibraryImport("libc")]
    private static partial int close(int fd);

    [LibraryImport("libc")]
    private static partial int ftruncate(int fd, long length);

    [LibraryImport("libc")]
    private static partial nint pwrite(int fd, byte[] buffer, nuint count, long offset);

    [LibraryImport("libc")]
    private static partial nint pread(int fd, byte[] buffer, nuint count, long offset);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int unlink(string path);

    [LibraryImport("libc")]
    private static unsafe partial int fstat(int fd, byte* buffer);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int stat(string path, byte* buffer);
}
