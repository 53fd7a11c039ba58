using System.IO.MemoryMappedFiles;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Eslm.IO;

namespace Eslm.Data;

/// <summary>
/// Rho-1's precomputed reference losses, a sidecar of a dataset split written by `eslm score`:
/// <code>
/// u64    N              length of the JSON header
/// N      JSON           {"format": "eslm-reference-losses", "version": 1, "tokens": count, "window": T, "split": …,
///                        "reference": path, "reference_parameters": …, "dataset": path,
///                        "split_checksum": "fnv1a64:…" (TokenChecksum of the scored split; absent in older files)}
/// f32 × tokens          loss[i] = −log p_ref(token i | the preceding tokens of its window); loss[0] = NaN
/// </code>
/// Position i is the i-th token of the split (its shards concatenated, as the data loader sees them). Windows are the
/// T-aligned [kT, kT+T] of the split, so a training window that starts at a multiple of T (sequential sampling with the
/// same T) sees exactly the reference's context; other windows share the tokens but not always the context.
/// </summary>
public sealed unsafe class ReferenceLossFile : IDisposable
{
    public const string Format = "eslm-reference-losses";
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly float* _data;
    private readonly byte* _base;

    private ReferenceLossFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, long dataOffset, JsonObject header)
    {
        Path = path; _map = map; _view = view; Header = header;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
        _data = (float*)(_base + _view.PointerOffset + dataOffset);
        Tokens = header["tokens"]!.GetValue<long>();
        Window = header["window"]!.GetValue<int>();
    }

    public string Path { get; }
    public JsonObject Header { get; }
    /// <summary>The scored split's <see cref="TokenChecksum"/>, or null in files written before it was recorded.</summary>
    public string? SplitChecksum => Header["split_checksum"] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    /// <summary>
    /// Checks that this file scored <paramref name="tokens"/> (issue 13: a sidecar of another dataset used to be accepted when
    /// it was longer). Returns a warning for files without a recorded checksum (only the count could be checked).
    /// </summary>
    public string? CheckBelongsTo(TokenSequence tokens)
    {
        string data = $"{tokens.Path} (split {tokens.Split})";
        if (Tokens != tokens.Count)
            throw new InvalidDataException($"{Path}: scores {Tokens} tokens but {data} has {tokens.Count}: it was written for other data " +
                                           "(score this data with `eslm score`)");
        if (SplitChecksum is not { } recorded)
            return $"{Path}: written before sidecars recorded their split's checksum; only its token count could be checked against {data}";
        string actual = TokenChecksum.Of(tokens);
        if (recorded != actual)
            throw new InvalidDataException($"{Path}: scores other tokens than {data} (checksum {recorded}, the data's is {actual}): " +
                                           "it was written for other data (score this data with `eslm score`)");
        return null;
    }
    public long Tokens { get; }
    public int Window { get; }

    public static ReferenceLossFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: reference-loss file not found (write it with `eslm score`)");
        long length = new FileInfo(path).Length;
        JsonObject header;
        long dataOffset;
        using (var stream = File.OpenRead(path))
        {
            Span<byte> lenBytes = stackalloc byte[8];
            if (stream.Read(lenBytes) != 8) throw new InvalidDataException($"{path}: truncated (no header length)");
            long n = BitConverter.ToInt64(lenBytes);
            if (n <= 0 || n > 1 << 20 || 8 + n > length) throw new InvalidDataException($"{path}: header length {n} is invalid for a {length}-byte file");
            var json = new byte[n];
            stream.ReadExactly(json);
            try { header = JsonNode.Parse(json)!.AsObject(); }
            catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new InvalidDataException($"{path}: header is not a JSON object"); }
            dataOffset = 8 + n;
        }
        if ((string?)header["format"] != Format) throw new InvalidDataException($"{path}: not an Eslm reference-loss file (format '{header["format"]}')");
        if (header["tokens"] is not JsonValue t || !t.TryGetValue(out long tokens) || tokens < 0 || header["window"] is not JsonValue)
            throw new InvalidDataException($"{path}: header lacks a valid token count or window");
        if (dataOffset + tokens * 4 != length)
            throw new InvalidDataException($"{path}: {length} bytes, expected {dataOffset + tokens * 4} for {tokens} tokens (truncated?)");
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        return new ReferenceLossFile(path, map, view, dataOffset, header);
    }

    /// <summary>Reference losses of the T targets of a window whose inputs start at <paramref name="rowStart"/>.</summary>
    public void TargetsOfWindow(long rowStart, Span<float> destination)
    {
        if (rowStart < 0 || rowStart + destination.Length >= Tokens)
            throw new ArgumentException($"{Path}: window at token {rowStart} (+{destination.Length}) is outside the {Tokens} scored tokens");
        new ReadOnlySpan<float>(_data + rowStart + 1, destination.Length).CopyTo(destination);
    }

    /// <summary>Writes a sidecar atomically (temp file, flush, rename).</summary>
    public static void Write(string path, JsonObject header, ReadOnlySpan<float> losses)
    {
        header["format"] = Format;
        header["version"] = 1;
        header["tokens"] = losses.Length;
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        fixed (float* pinned = losses)
        {
            float* data = pinned; int count = losses.Length; // a lambda can capture neither a span nor a fixed local
            AtomicFile.Write(path, stream =>
            {
                stream.Write(BitConverter.GetBytes((long)json.Length));
                stream.Write(json);
                stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<float>(data, count)));
            });
        }
    }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
