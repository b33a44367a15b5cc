using System.Runtime.InteropServices;

namespace CredentialBroker.Server.Hosting;

/// <summary>
/// Writes a file of credentials so that no other user can read, redirect or swap it. The directory is created by the
/// broker (mode 0700); an existing one is used only if it is a real directory — not a symbolic link — owned by the
/// broker's user and writable by nobody else. The file is written under a fresh name created exclusively with mode
/// 0600 and renamed over the target, so a symbolic link planted at the target is replaced, never followed.
/// </summary>
internal static partial class PrivateFiles
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>.</summary>
    /// <exception cref="BrokerStartupException">The directory exists but another user could tamper with it.</exception>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        EnsureDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            await using (var stream = new FileStream(temporary, options))
            {
                await write(stream, cancellationToken);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary); // gone already after the move; left over only when writing failed
        }
    }

    /// <summary>Creates <paramref name="directory"/> (mode 0700), or checks that an existing one is safe.</summary>
    /// <exception cref="BrokerStartupException">It exists but another user could tamper with it.</exception>
    public static void EnsureDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            return;
        }

        if (!Path.Exists(directory))
        {
            Directory.CreateDirectory(directory, OwnerOnly);
        }

        var info = new DirectoryInfo(directory);
        if (info.LinkTarget is not null || !info.Exists)
        {
            throw Refused(directory, "it is a symbolic link or not a directory");
        }

        if ((File.GetUnixFileMode(directory) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw Refused(directory, "other users may write to it");
        }

        if (OperatingSystem.IsLinux() && OwnerOf(directory) is { } owner && owner != GetEffectiveUserId())
        {
            throw Refused(directory, $"it belongs to another user (uid {owner})");
        }
    }

    private static BrokerStartupException Refused(string directory, string why) => new(
        $"The dev credentials directory '{directory}' is not safe to write credentials into: {why}. Remove it (the broker creates it " +
        "with mode 0700) or choose another file with --dev-credentials-file PATH.");

    private static uint? OwnerOf(string path) =>
        Statx(AtCurrentDirectory, path, AtSymlinkNoFollow, StatxUid, out var status) == 0 ? status.Uid : null;

    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxUid = 0x8;

    /// <summary>The leading fields of Linux's <c>struct statx</c>, whose layout is the same on every architecture.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(20)]
        public uint Uid;
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, out StatxBuffer buffer);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}
