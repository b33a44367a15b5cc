using CredentialBroker.Abstractions;

namespace CredentialBroker.Core.Tests.Revocation;

/// <summary>The Token Status List encoding against the test vectors of draft-ietf-oauth-status-list-20 (§4.1 example, Appendix C.1).</summary>
public sealed class StatusListEncodingTests
{
    // §4.1: status[0]=1, [1]=0, [2]=0, [3]=1, [4]=1, [5]=1, [6]=0, [7]=1, [8]=1, [9]=1, [10]=0, [11]=0, [12]=0, [13]=1, [14]=0, [15]=1.
    private const string ShortVector = "eNrbuRgAAhcBXQ";

    // Appendix C.1, the 1-bit list of 2^20 entries.
    private const string LongVector =
        "eNrt3AENwCAMAEGogklACtKQPg9LugC9k_ACvreiogE" +
        "AAKkeCQAAAAAAAAAAAAAAAAAAAIBylgQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" +
        "AAAAAAAAAAAAAAAAAAAXG9IAAAAAAAAAPwsJAAAAAAAAAAAAAAAvhsSAAAAAAAAAAA" +
        "A7KpLAAAAAAAAAAAAAAAAAAAAAJsLCQAAAAAAAAAAADjelAAAAAAAAAAAKjDMAQAAA" +
        "ACAZC8L2AEb";

    private static readonly int[] LongVectorRevoked = [0, 1993, 25460, 159495, 495669, 554353, 645645, 723232, 854545, 934534, 1000345];

    [Test]
    public void The_short_vector_decodes_to_its_bytes_and_encodes_back_to_itself()
    {
        var bytes = StatusLists.Decode(ShortVector);

        Assert.Multiple(() =>
        {
            Assert.That(bytes, Is.EqualTo(new byte[] { 0xb9, 0xa3 }));
            Assert.That(StatusLists.Encode([0xb9, 0xa3]), Is.EqualTo(ShortVector));
            Assert.That(Enumerable.Range(0, 16).Select(i => StatusLists.StatusOf(bytes, i)),
                Is.EqualTo(new int?[] { 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1 }), "bits count from the least significant");
        });
    }

    [Test]
    public void The_long_vector_holds_exactly_its_revoked_indexes()
    {
        var bytes = StatusLists.Decode(LongVector);
        var revoked = Enumerable.Range(0, StatusLists.Size).Where(i => StatusLists.StatusOf(bytes, i) == 1);

        Assert.Multiple(() =>
        {
            Assert.That(bytes, Has.Length.EqualTo(StatusLists.Size / 8));
            Assert.That(revoked, Is.EqualTo(LongVectorRevoked));
        });
    }

    [Test]
    public void A_list_built_with_the_vectors_indexes_decodes_to_the_vectors_bytes()
    {
        var bytes = new byte[StatusLists.Size / 8];
        foreach (var index in LongVectorRevoked)
        {
            StatusLists.SetInvalid(bytes, index);
        }

        Assert.That(StatusLists.Decode(StatusLists.Encode(bytes)), Is.EqualTo(StatusLists.Decode(LongVector)));
    }

    [Test]
    public void An_index_past_the_list_has_no_status_while_the_last_one_has()
    {
        var bytes = new byte[2];

        Assert.Multiple(() =>
        {
            Assert.That(StatusLists.StatusOf(bytes, 16), Is.Null);
            Assert.That(StatusLists.StatusOf(bytes, -1), Is.Null);
            Assert.That(StatusLists.StatusOf(bytes, 15), Is.EqualTo(0));
        });
    }

    [Test]
    public void A_list_that_decompresses_past_its_bound_is_refused_and_one_within_it_is_read()
    {
        var lst = StatusLists.Encode(new byte[1024]);

        Assert.Multiple(() =>
        {
            Assert.That(() => StatusLists.Decode(lst, maxBytes: 1023), Throws.InstanceOf<InvalidDataException>());
            Assert.That(StatusLists.Decode(lst, maxBytes: 1024), Has.Length.EqualTo(1024));
            Assert.That(() => StatusLists.Decode("not*base64"), Throws.InstanceOf<InvalidDataException>());
        });
    }
}
