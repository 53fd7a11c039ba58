using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace Eslm.Checkpoints;

/// <summary>Element types of the safetensors format (the names are the header's "dtype" strings).</summary>
public enum SafetensorsDType { BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 }

/// <summary>One tensor entry of a safetensors header. <see cref="Begin"/>/<see cref="End"/> are absolute file offsets.</summary>
public sealed record SafetensorsTensor(string Name, SafetensorsDType DType, int[] Shape, long Begin, long End)
{
    public long ElementCount { get { long n = 1; foreach (int d in Shape) n *= d; return n; } }
    public long ByteLength => End - Begin;
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>
/// A safetensors file opened for reading (format: 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping
/// tensor names to {dtype, shape, data_offsets:[begin,end]} relative to the data section, plus an optional
/// "__metadata__" string map; then the raw little-endian data). The header is validated strictly on open: size limit,
/// JSON shape, known dtypes, byte sizes matching shapes, offsets inside the file, tensors covering the data section
/// contiguously with no overlap and no gap, and no trailing bytes. Tensor data is read on demand with positioned reads
/// straight into the destination (F32) or through a small conversion buffer (F16, BF16).
/// Every error is an <see cref="InvalidDataException"/> whose one-line message names the file and the problem.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    /// <summary>Largest accepted JSON header (the reference implementation's limit is 100 MB).</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, SafetensorsTensor> _byName;

    private SafetensorsFile(string path, SafeFileHandle handle, long length, long dataStart, List<SafetensorsTensor> tensors,
        Dictionary<string, string> metadata)
    {
        Path = path; _handle = handle; FileLength = length; DataStart = dataStart;
        Tensors = tensors; Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public string Path { get; }
    public long FileLength { get; }
    /// <summary>Absolute offset of the data section (8 + header length).</summary>
    public long DataStart { get; }
    /// <summary>Tensors in file order (by data offset).</summary>
    public IReadOnlyList<SafetensorsTensor> Tensors { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public SafetensorsTensor? Find(string name) => _byName.GetValueOrDefault(name);

    public SafetensorsTensor Get(string name) =>
        _byName.TryGetValue(name, out var t) ? t : throw new InvalidDataException($"{Path}: tensor '{name}' is missing");

    /// <summary>True when the first bytes look like a safetensors file (a header length, then '{'); the length is checked on open.</summary>
    public static bool LooksLikeSafetensors(ReadOnlySpan<byte> prefix)
    {
        if (prefix.Length < 9) return false;
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        return n >= 2 && prefix[8] == (byte)'{';
    }

    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(Directory.Exists(path) ? $"{path}: is a directory, not a safetensors file" : $"{path}: file not found", path);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors support needs a little-endian CPU");
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            var file = Parse(path, handle);
            return file;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static SafetensorsFile Parse(string path, SafeFileHandle handle)
    {
        long length = RandomAccess.GetLength(handle);
        if (length < 8) throw Bad(path, $"truncated: {length} bytes, shorter than the 8-byte header length");
        Span<byte> lenBytes = stackalloc byte[8];
        RandomAccess.Read(handle, lenBytes, 0);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLength > MaxHeaderBytes)
            throw Bad(path, $"header length {headerLength} bytes exceeds the {MaxHeaderBytes / (1024 * 1024)} MB limit (corrupt or not a safetensors file)");
        if (headerLength < 2) throw Bad(path, $"header length {headerLength} is too small for a JSON object");
        if ((long)headerLength > length - 8)
            throw Bad(path, $"truncated: header says {headerLength} bytes of JSON but only {length - 8} bytes follow");
        byte[] header = new byte[headerLength];
        RandomAccess.Read(handle, header, 8);
        long dataStart = 8 + (long)headerLength;
        long dataLength = length - dataStart;
        if (header[0] != (byte)'{') throw Bad(path, "header does not start with '{' (not a safetensors file)");

        var tensors = new List<SafetensorsTensor>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw Bad(path, $"header is not valid JSON ({e.Message.Split('.')[0]})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad(path, "header JSON is not an object");
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!names.Add(prop.Name)) throw Bad(path, $"header has a duplicate entry '{prop.Name}'");
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw Bad(path, "__metadata__ is not an object");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw Bad(path, $"__metadata__ value '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                tensors.Add(ParseEntry(path, prop, dataStart));
            }
        }

        // Data section: tensors sorted by offset must tile [0, dataLength) exactly (no overlap, no gap, no trailing bytes).
        tensors.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = dataStart;
        foreach (var t in tensors)
        {
            if (t.End > length)
                throw Bad(path, $"tensor '{t.Name}' data [{t.Begin - dataStart}, {t.End - dataStart}) runs past the end of the file (data section is {dataLength} bytes; truncated?)");
            if (t.Begin < expected)
                throw Bad(path, $"tensor '{t.Name}' data [{t.Begin - dataStart}, {t.End - dataStart}) overlaps the previous tensor");
            if (t.Begin > expected)
                throw Bad(path, $"gap of {t.Begin - expected} bytes before tensor '{t.Name}' in the data section");
            expected = t.End;
        }
        if (expected != length)
            throw Bad(path, $"{length - expected} unexpected bytes after the last tensor (data section is {dataLength} bytes, tensors cover {expected - dataStart})");
        return new SafetensorsFile(path, handle, length, dataStart, tensors, metadata);
    }

    private static SafetensorsTensor ParseEntry(string path, JsonProperty prop, long dataStart)
    {
        string name = prop.Name;
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object) throw Bad(path, $"tensor '{name}': entry is not an object");
        string? dtypeText = null; int[]? shape = null; long[]? offsets = null;
        foreach (var f in v.EnumerateObject())
        {
            switch (f.Name)
            {
                case "dtype":
                    if (f.Value.ValueKind != JsonValueKind.String) throw Bad(path, $"tensor '{name}': dtype is not a string");
                    dtypeText = f.Value.GetString();
                    break;
                case "shape":
                    if (f.Value.ValueKind != JsonValueKind.Array) throw Bad(path, $"tensor '{name}': shape is not an array");
                    shape = f.Value.EnumerateArray().Select(d =>
                        d.ValueKind == JsonValueKind.Number && d.TryGetInt32(out int x) && x >= 0 ? x
                            : throw Bad(path, $"tensor '{name}': shape entry {d.GetRawText()} is not a non-negative 32-bit integer")).ToArray();
                    break;
                case "data_offsets":
                    if (f.Value.ValueKind != JsonValueKind.Array) throw Bad(path, $"tensor '{name}': data_offsets is not an array");
                    offsets = f.Value.EnumerateArray().Select(d =>
                        d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out long x) && x >= 0 ? x
                            : throw Bad(path, $"tensor '{name}': data_offsets entry {d.GetRawText()} is not a non-negative integer")).ToArray();
                    break;
                default:
                    throw Bad(path, $"tensor '{name}': unexpected field '{f.Name}'");
            }
        }
        if (dtypeText is null) throw Bad(path, $"tensor '{name}': dtype is missing");
        if (shape is null) throw Bad(path, $"tensor '{name}': shape is missing");
        if (offsets is null) throw Bad(path, $"tensor '{name}': data_offsets is missing");
        if (!DTypes.TryGetValue(dtypeText, out var dtype))
            throw Bad(path, $"tensor '{name}': unknown dtype '{dtypeText}'");
        if (offsets.Length != 2) throw Bad(path, $"tensor '{name}': data_offsets must have 2 entries (got {offsets.Length})");
        if (offsets[1] < offsets[0]) throw Bad(path, $"tensor '{name}': data_offsets [{offsets[0]}, {offsets[1]}] end before they begin");
        long count = 1;
        try { foreach (int d in shape) count = checked(count * d); }
        catch (OverflowException) { throw Bad(path, $"tensor '{name}': shape [{string.Join(", ", shape)}] is too large"); }
        long bytes;
        try { bytes = checked(count * SizeOf(dtype)); }
        catch (OverflowException) { throw Bad(path, $"tensor '{name}': shape [{string.Join(", ", shape)}] is too large"); }
        if (offsets[1] - offsets[0] != bytes)
            throw Bad(path, $"tensor '{name}': shape [{string.Join(", ", shape)}] of {dtypeText} needs {bytes} bytes but data_offsets [{offsets[0]}, {offsets[1]}] span {offsets[1] - offsets[0]}");
        if (offsets[1] > long.MaxValue - dataStart) throw Bad(path, $"tensor '{name}': data_offsets are out of range");
        return new SafetensorsTensor(name, dtype, shape, dataStart + offsets[0], dataStart + offsets[1]);
    }

    private static readonly Dictionary<string, SafetensorsDType> DTypes =
        Enum.GetValues<SafetensorsDType>().ToDictionary(d => d.ToString(), StringComparer.Ordinal);

    public static int SizeOf(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.BOOL or SafetensorsDType.U8 or SafetensorsDType.I8 or SafetensorsDType.F8_E5M2 or SafetensorsDType.F8_E4M3 => 1,
        SafetensorsDType.I16 or SafetensorsDType.U16 or SafetensorsDType.F16 or SafetensorsDType.BF16 => 2,
        SafetensorsDType.I32 or SafetensorsDType.U32 or SafetensorsDType.F32 => 4,
        _ => 8,
    };

    /// <summary>
    /// Reads a floating-point tensor (F32, F16 or BF16) into <paramref name="destination"/> as float32. The destination
    /// length must equal the element count.
    /// </summary>
    public void ReadFloats(SafetensorsTensor tensor, Span<float> destination)
    {
        if (destination.Length != tensor.ElementCount)
            throw new ArgumentException($"{Path}: tensor '{tensor.Name}' has {tensor.ElementCount} elements, destination holds {destination.Length}");
        switch (tensor.DType)
        {
            case SafetensorsDType.F32:
                ReadExactly(MemoryMarshal.AsBytes(destination), tensor.Begin, tensor);
                break;
            case SafetensorsDType.F16:
            case SafetensorsDType.BF16:
            {
                const int Chunk = 1 << 16;
                ushort[] buffer = ArrayPool<ushort>.Shared.Rent(Chunk);
                try
                {
                    for (int i = 0; i < destination.Length; i += Chunk)
                    {
                        int n = Math.Min(Chunk, destination.Length - i);
                        ReadExactly(MemoryMarshal.AsBytes(buffer.AsSpan(0, n)), tensor.Begin + 2L * i, tensor);
                        var dst = destination.Slice(i, n);
                        if (tensor.DType == SafetensorsDType.F16)
                            for (int j = 0; j < n; j++) dst[j] = (float)BitConverter.UInt16BitsToHalf(buffer[j]);
                        else
                            for (int j = 0; j < n; j++) dst[j] = BitConverter.Int32BitsToSingle(buffer[j] << 16);
                    }
                }
                finally { ArrayPool<ushort>.Shared.Return(buffer); }
                break;
            }
            default:
                throw new InvalidDataException($"{Path}: tensor '{tensor.Name}' has dtype {tensor.DType}; only F32, F16 and BF16 can be read as weights");
        }
    }

    /// <summary>Reads a tensor as a new float array (small tensors, tests and tools).</summary>
    public float[] ReadFloats(string name)
    {
        var t = Get(name);
        var result = new float[checked((int)t.ElementCount)];
        ReadFloats(t, result);
        return result;
    }

    /// <summary>Reads raw bytes of a tensor (any dtype).</summary>
    public byte[] ReadBytes(SafetensorsTensor tensor)
    {
        var result = new byte[checked((int)tensor.ByteLength)];
        ReadExactly(result, tensor.Begin, tensor);
        return result;
    }

    private void ReadExactly(Span<byte> destination, long offset, SafetensorsTensor tensor)
    {
        while (destination.Length > 0)
        {
            int n = RandomAccess.Read(_handle, destination, offset);
            if (n <= 0) throw new InvalidDataException($"{Path}: truncated while reading tensor '{tensor.Name}' (the file shrank?)");
            destination = destination[n..];
            offset += n;
        }
    }

    public void Dispose() => _handle.Dispose();

    internal static InvalidDataException Bad(string path, string problem) => new($"{path}: {problem}");
}

/// <summary>
/// Streams a safetensors file: the header (names, F32 shapes, offsets, metadata) is written first, padded with spaces to
/// a multiple of 8 bytes so the data is aligned, then each tensor's data is supplied in declaration order with
/// <see cref="Write(ReadOnlySpan{float})"/>. <see cref="Finish"/> checks that every tensor was written.
/// </summary>
public sealed class SafetensorsWriter
{
    private readonly Stream _stream;
    private readonly IReadOnlyList<(string Name, int[] Shape)> _tensors;
    private int _next;

    public SafetensorsWriter(Stream stream, IReadOnlyList<(string Name, int[] Shape)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        _stream = stream;
        _tensors = tensors;
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, shape) in tensors)
            {
                if (name == "__metadata__" || !names.Add(name)) throw new ArgumentException($"tensor name '{name}' is reserved or repeated");
                long bytes = 4;
                foreach (int d in shape) bytes = checked(bytes * (d >= 0 ? d : throw new ArgumentException($"tensor '{name}' has a negative dimension")));
                w.WriteStartObject(name);
                w.WriteString("dtype", "F32");
                w.WriteStartArray("shape"); foreach (int d in shape) w.WriteNumberValue(d); w.WriteEndArray();
                w.WriteStartArray("data_offsets"); w.WriteNumberValue(offset); w.WriteNumberValue(offset + bytes); w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        int length = (int)json.Length;
        int padded = (length + 8 + 7) / 8 * 8 - 8;
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
        _stream.Write(prefix);
        _stream.Write(json.GetBuffer().AsSpan(0, length));
        for (int i = length; i < padded; i++) _stream.WriteByte((byte)' ');
    }

    /// <summary>Name and shape of the tensor whose data <see cref="Write(ReadOnlySpan{float})"/> expects next.</summary>
    public (string Name, int[] Shape)? Next => _next < _tensors.Count ? _tensors[_next] : null;

    /// <summary>Writes the next tensor's data (all of it at once).</summary>
    public void Write(ReadOnlySpan<float> data)
    {
        if (_next >= _tensors.Count) throw new InvalidOperationException("all declared tensors were already written");
        var (name, shape) = _tensors[_next];
        long count = 1; foreach (int d in shape) count *= d;
        if (data.Length != count) throw new ArgumentException($"tensor '{name}' needs {count} floats, got {data.Length}");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors support needs a little-endian CPU");
        _stream.Write(MemoryMarshal.AsBytes(data));
        _next++;
    }

    public void Finish()
    {
        if (_next != _tensors.Count) throw new InvalidOperationException($"only {_next} of {_tensors.Count} tensors were written");
        _stream.Flush();
    }
}

/// <summary>Checks on tensor values shared by the loaders.</summary>
public static unsafe class TensorChecks
{
    /// <summary>Index of the first NaN or ±Inf in <paramref name="values"/>, or −1 when all are finite.</summary>
    public static long IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float r = ref MemoryMarshal.GetReference(values);
            for (; i + 8 <= values.Length; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref r, (nuint)i);
                // x − x is 0 for finite x and NaN for NaN or ±Inf.
                if (!Vector256.EqualsAll(v - v, Vector256<float>.Zero)) break;
            }
        }
        for (; i < values.Length; i++) if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    /// <summary>Describes a non-finite value for an error message, e.g. "NaN at element 12".</summary>
    public static string Describe(float value, long index) =>
        $"{(float.IsNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf")} at element {index}";
}
