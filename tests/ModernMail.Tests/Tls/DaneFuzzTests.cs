using CsCheck;
using ModernMail.Tls;
using ModernMail.Tls.Internal;
using Xunit;

namespace ModernMail.Tests.Tls;

/// <summary>TLSA records and certificates come from the network: random input must give an answer, never an exception.</summary>
public sealed class DaneFuzzTests
{
    [Fact]
    public void TlsaRecordTryParse_RandomText_NeverThrows()
    {
        Gen.String[Gen.Char["0123 \t9aAfFgx-+\u0660"], 0, 80].Sample(text =>
        {
            if (TlsaRecord.TryParse(text, out var record))
            {
                Assert.True(TlsaRecord.TryParse(record.ToString(), out var again));
                Assert.Equal(record.ToString(), again.ToString());
            }
        }, iter: 20_000);
    }

    [Fact]
    public void TlsaRecordTryReadRdata_RandomBytes_NeverThrows()
    {
        Gen.Byte.Array[0, 80].Sample(rdata =>
        {
            Assert.Equal(rdata.Length >= 3, TlsaRecord.TryReadRdata(rdata, out var record));
            Assert.Equal(Math.Max(0, rdata.Length - 3), record?.Data.Length ?? 0);
        }, iter: 20_000);
    }

    [Fact]
    public void ReadSubjectPublicKeyInfo_RandomBytes_NeverThrows()
    {
        // Mostly DER-looking prefixes, so the reader gets past the outer SEQUENCE.
        Gen.Byte.Array[0, 60].Select(tail => (byte[])[0x30, (byte)tail.Length, .. tail]).Sample(der =>
        {
            TlsaCertificate.ReadSubjectPublicKeyInfo(der);
        }, iter: 20_000);
    }
}
