using System.Buffers.Text;
using System.IO.Compression;

namespace CredentialBroker.Abstractions;

/// <summary>
/// The Token Status List encoding of draft-ietf-oauth-status-list-20 §4 for one bit per token (0 VALID, 1 INVALID): a byte
/// array in which index <c>i</c> is bit <c>i % 8</c> (from the least significant) of byte <c>i / 8</c>, compressed with ZLIB
/// (RFC 1950) and base64url-encoded without padding as the <c>lst</c> member.
/// </summary>
public static class StatusLists
{
    /// <summary>Entries per list: 2^20, so a list is 128 KiB before compression (a few hundred bytes when few tokens are revoked).</summary>
    public const int Size = 1 << 20;

    /// <summary>Bits per entry (<c>status_list.bits</c>).</summary>
    public const int Bits = 1;

    /// <summary>The JWT <c>typ</c> of a Status List Token.</summary>
    public const string TokenType = "statuslist+jwt";

    /// <summary>The media type of a Status List Token response.</summary>
    public const string MediaType = "application/statuslist+jwt";

    /// <summary>The path under the issuer where lists are published; a list's URI is this path and its id.</summary>
    public const string Path = "/v1/status-lists";

    /// <summary>Compresses a byte array (ZLIB, best compression) and encodes it as <c>lst</c>.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(bytes);
        }

        return Base64Url.EncodeToString(output.GetBuffer().AsSpan(0, (int)output.Length));
    }

    /// <summary>Decodes an <c>lst</c> member into its byte array, reading at most <paramref name="maxBytes"/> bytes.</summary>
    /// <exception cref="InvalidDataException">The value is not base64url, not ZLIB, or decompresses to more than <paramref name="maxBytes"/>.</exception>
    public static byte[] Decode(string lst, int maxBytes = Size / 8)
    {
        ArgumentNullException.ThrowIfNull(lst);
        byte[] compressed;
        try
        {
            compressed = Base64Url.DecodeFromChars(lst);
        }
        catch (FormatException ex)
        {
            throw new InvalidDataException("The status list is not base64url.", ex);
        }

        using var zlib = new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = zlib.Read(buffer)) > 0)
        {
            if (output.Length + read > maxBytes)
            {
                throw new InvalidDataException($"The status list decompresses to more than {maxBytes} bytes.");
            }

            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }

    /// <summary>The status of <paramref name="index"/>: 0 VALID, 1 INVALID; <see langword="null"/> when the list is too short to hold it.</summary>
    public static int? StatusOf(ReadOnlySpan<byte> bytes, int index) =>
        index < 0 || index / 8 >= bytes.Length ? null : (bytes[index / 8] >> (index % 8)) & 1;

    /// <summary>Marks <paramref name="index"/> INVALID in <paramref name="bytes"/>.</summary>
    public static void SetInvalid(Span<byte> bytes, int index) => bytes[index / 8] |= (byte)(1 << (index % 8));
}
