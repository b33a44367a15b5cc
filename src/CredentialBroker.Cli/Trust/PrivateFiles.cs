namespace CredentialBroker.Cli.Trust;

/// <summary>
/// Writes key material the way the broker writes its dev credentials: directories 0700, private keys 0600 from the moment
/// they exist (never chmod-ed after writing), each file written beside its target and renamed over it, so a symbolic
/// link planted at the target is replaced, not followed, and no reader sees half a key.
/// </summary>
internal static class PrivateFiles
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PublicFile = OwnerOnlyFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>
    /// Creates <paramref name="directory"/> (and its parents) with mode 0700 if it does not exist. An existing directory
    /// keeps its mode: it may be the current one, and the keys in it are 0600 whatever the directory's mode.
    /// </summary>
    public static void EnsureDirectory(string directory)
    {
        if (File.Exists(directory))
        {
            throw new BrokerCliException(ExitCodes.Usage, $"'{directory}' is a file; name a directory.");
        }

        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else if (!Directory.Exists(directory))
            {
                Directory.CreateDirectory(directory, OwnerOnlyDirectory);
                File.SetUnixFileMode(directory, OwnerOnlyDirectory); // exactly 0700, whatever the umask
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BrokerCliException(ExitCodes.Usage, $"cannot create the directory '{directory}': {ex.Message}");
        }
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/>: mode 0600 when <paramref name="secret"/>, else 0644.</summary>
    public static void Write(string path, string text, bool secret)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = secret ? OwnerOnlyFile : PublicFile;
        }

        try
        {
            using (var writer = new StreamWriter(temporary, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), options))
            {
                writer.Write(text);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            throw new BrokerCliException(ExitCodes.Usage, $"cannot write '{path}': {ex.Message}");
        }
    }

    /// <summary>The file's mode as octal text ("0600"), or "-" where there are no Unix modes.</summary>
    public static string Mode(string path) =>
        OperatingSystem.IsWindows() ? "-" : Convert.ToString((int)File.GetUnixFileMode(path), 8).PadLeft(4, '0');
}
