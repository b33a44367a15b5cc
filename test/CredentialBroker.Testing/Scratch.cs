namespace CredentialBroker.Testing;

/// <summary>
/// Temporary directories of one test process, all under one root (mode 700) that is removed when the process exits,
/// so a test run leaves no key files or credentials behind in the machine's temporary folder.
/// </summary>
public static class Scratch
{
    private static readonly Lazy<DirectoryInfo> Root = new(() =>
    {
        var root = Directory.CreateTempSubdirectory("cb-tests-");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                root.Delete(recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A file a server process still holds open: what is left is under one root, in the temporary folder.
            }
        };
        return root;
    });

    /// <summary>Creates a new directory, readable by its owner only, whose name starts with <paramref name="prefix"/>.</summary>
    public static DirectoryInfo CreateDirectory(string prefix)
    {
        var path = Path.Combine(Root.Value.FullName, prefix + Guid.NewGuid().ToString("N")[..12]);
        return OperatingSystem.IsWindows()
            ? Directory.CreateDirectory(path)
            : Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
