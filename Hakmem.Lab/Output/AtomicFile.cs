using System.Text;

namespace Hakmem.Lab.Output;

/// <summary>Files written whole or not at all: the text goes to a temporary file beside the target, is
/// flushed to disk, and replaces the target with one rename. A reader sees the old file or the new
/// one, never half of one; a full disk leaves the old file as it was.</summary>
public static class AtomicFile
{
    public static void Write(string path, string text) => Write(path, w => w.Write(text));

    public static void Write(string path, Action<TextWriter> write)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
            {
                write(writer);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }
}
