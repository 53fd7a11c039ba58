using System.Buffers;
using System.Runtime.InteropServices;
using Eslm.Model;
using Eslm.IO;

namespace Eslm.Checkpoints;

/// <summary>
/// llm.c model files (gpt2_124M.bin and friends): a header of 256 little-endian int32 — [0] magic 20240326, [1] version
/// (3 = fp32, 5 = bf16), [2] maxT, [3] V, [4] L, [5] NH, [6] C, [7] Vp — then every parameter in llm.c's order, which is
/// exactly Eslm's <see cref="ParameterLayout"/> (wte [Vp,C], wpe, ln1w, …, lnfb; per-layer tensors stacked by L).
/// Eslm writes version 3 and reads 3 and 5.
/// </summary>
public static class LlmcModelFile
{
    public const int Magic = 20240326;
    public const int VersionFp32 = 3, VersionBf16 = 5;
    public const int HeaderInts = 256;
    public const int HeaderBytes = HeaderInts * sizeof(int);

    public sealed record Header(int Version, GptConfig Config);

    /// <summary>True when the first 4 bytes are the model-file magic.</summary>
    public static bool LooksLikeModelFile(ReadOnlySpan<byte> prefix) =>
        prefix.Length >= 4 && MemoryMarshal.Read<int>(prefix) == Magic;

    public static Header ReadHeader(string path)
    {
        using var handle = OpenRead(path);
        return ReadHeader(path, handle, out _);
    }

    private static Microsoft.Win32.SafeHandles.SafeFileHandle OpenRead(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(Directory.Exists(path) ? $"{path}: is a directory, not an llm.c model file" : $"{path}: file not found", path);
        return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
    }

    private static Header ReadHeader(string path, Microsoft.Win32.SafeHandles.SafeFileHandle handle, out long length)
    {
        length = RandomAccess.GetLength(handle);
        if (length < HeaderBytes) throw new InvalidDataException($"{path}: truncated: {length} bytes, shorter than the {HeaderBytes}-byte llm.c header");
        var h = new int[HeaderInts];
        RandomAccess.Read(handle, MemoryMarshal.AsBytes(h.AsSpan()), 0);
        if (h[0] != Magic)
            throw new InvalidDataException(h[0] == 20240520
                ? $"{path}: this is an llm.c token shard (magic 20240520), not a model file"
                : $"{path}: bad magic {h[0]} (an llm.c model file starts with {Magic})");
        if (h[1] != VersionFp32 && h[1] != VersionBf16)
            throw new InvalidDataException($"{path}: unsupported llm.c model version {h[1]} (supported: 3 = fp32, 5 = bf16)");
        GptConfig config;
        try
        {
            config = new GptConfig
            {
                MaxSequenceLength = h[2], VocabSize = h[3], Layers = h[4], Heads = h[5], Channels = h[6],
                // Older files leave [7] at 0: llm.c then pads to a multiple of 128 itself.
                PaddedVocabSize = h[7],
            }.Validated();
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: invalid model shape in header: {e.Message}"); }
        return new Header(h[1], config);
    }

    /// <summary>Loads an llm.c model file into a new model, checking the size and that all values are finite.</summary>
    public static Gpt Load(string path)
    {
        using var handle = OpenRead(path);
        var (version, config) = ReadHeader(path, handle, out long length);
        long count = ParameterCountPadded(config);
        long expected = HeaderBytes + count * (version == VersionFp32 ? 4 : 2);
        if (length < expected)
            throw new InvalidDataException($"{path}: truncated: {length} bytes, the header's model ({config}) needs {expected}");
        if (length > expected)
            throw new InvalidDataException($"{path}: {length - expected} unexpected bytes after the parameters (the header's model {config} needs {expected})");
        var model = new Gpt(config);
        try
        {
            var block = model.Parameters;
            for (int i = 0; i < block.Specs.Count; i++)
            {
                var span = block.Span(i);
                long fileOffset = HeaderBytes + block.OffsetOf(i) * (version == VersionFp32 ? 4 : 2);
                if (version == VersionFp32) ReadExactly(path, handle, MemoryMarshal.AsBytes(span), fileOffset);
                else ReadBf16(path, handle, span, fileOffset);
                HfGpt2.CheckFinite(path, block.Specs[i].Name, span);
            }
            return model;
        }
        catch { model.Dispose(); throw; }
    }

    /// <summary>Writes a model as an llm.c version-3 (fp32) model file, atomically.</summary>
    public static void Save(string path, Gpt model)
    {
        var c = model.Config;
        var h = new int[HeaderInts];
        h[0] = Magic; h[1] = VersionFp32; h[2] = c.MaxSequenceLength; h[3] = c.VocabSize; h[4] = c.L; h[5] = c.NH; h[6] = c.C; h[7] = c.Vp;
        AtomicFile.Write(path, stream =>
        {
            stream.Write(MemoryMarshal.AsBytes(h.AsSpan()));
            var block = model.Parameters;
            for (int i = 0; i < block.Specs.Count; i++) stream.Write(MemoryMarshal.AsBytes((ReadOnlySpan<float>)block.Span(i)));
        });
    }

    private static long ParameterCountPadded(GptConfig c)
    {
        long n = 0;
        foreach (var spec in ParameterLayout.For(c)) n += spec.Count;
        return n;
    }

    private static void ReadBf16(string path, Microsoft.Win32.SafeHandles.SafeFileHandle handle, Span<float> destination, long offset)
    {
        const int Chunk = 1 << 16;
        ushort[] buffer = ArrayPool<ushort>.Shared.Rent(Chunk);
        try
        {
            for (int i = 0; i < destination.Length; i += Chunk)
            {
                int n = Math.Min(Chunk, destination.Length - i);
                ReadExactly(path, handle, MemoryMarshal.AsBytes(buffer.AsSpan(0, n)), offset + 2L * i);
                for (int j = 0; j < n; j++) destination[i + j] = BitConverter.Int32BitsToSingle(buffer[j] << 16);
            }
        }
        finally { ArrayPool<ushort>.Shared.Return(buffer); }
    }

    private static void ReadExactly(string path, Microsoft.Win32.SafeHandles.SafeFileHandle handle, Span<byte> destination, long offset)
    {
        while (destination.Length > 0)
        {
            int n = RandomAccess.Read(handle, destination, offset);
            if (n <= 0) throw new InvalidDataException($"{path}: truncated while reading parameters");
            destination = destination[n..];
            offset += n;
        }
    }
}
