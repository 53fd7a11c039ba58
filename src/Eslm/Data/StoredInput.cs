using System.Security.Cryptography;

namespace Eslm.Data;

/// <summary>
/// The bytes of an input as stored (a file, compressed or not, or standard input), read through: counted, hashed
/// (SHA-256, for the manifest and duplicate warnings) and refused once they exceed the size the file system reported (a
/// device, a pipe or a file still being written). Keeps the last 8 bytes (a gzip file's trailer).
/// </summary>
internal sealed class StoredInput(Stream inner, string name, long? size) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _last = new byte[8];

    public long Count { get; private set; }

    /// <summary>The last min(8, Count) bytes.</summary>
    public ReadOnlySpan<byte> Last => _last.AsSpan(8 - (int)Math.Min(8, Count));

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read = inner.Read(buffer);
        if (read == 0) return 0;
        if ((Count += read) > size)
            throw new InvalidDataException($"{name}: not a regular file (it gives more bytes than its size of {size}: a device, a pipe or a file " +
                                           "still being written); give a text file, or - for standard input");
        var got = buffer[..read];
        _hash.AppendData(got);
        if (read >= 8) got[^8..].CopyTo(_last);
        else { _last.AsSpan(read).CopyTo(_last); got.CopyTo(_last.AsSpan(8 - read)); }
        return read;
    }

    /// <summary>Reads what the reader above left (bytes after a gzip stream's end), so the hash and count cover everything.</summary>
    public void Drain()
    {
        var rest = new byte[1 << 16];
        while (Read(rest) > 0) { }
    }

    public string Sha256() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    protected override void Dispose(bool disposing)
    {
        if (disposing) { inner.Dispose(); _hash.Dispose(); }
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Count; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
