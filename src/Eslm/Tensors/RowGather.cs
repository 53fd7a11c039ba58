namespace Eslm.Tensors;

/// <summary>Copies chosen rows of a row-major matrix into a compact one (the kept tokens' activations, for the GEMMs).</summary>
public static unsafe class RowGather
{
    /// <summary>
    /// destination[j, :] = source[rows[j], :width] for j &lt; count; destination rows are <paramref name="width"/> values,
    /// source rows <paramref name="sourceStride"/> values apart (default: width), so a leading column block can be taken.
    /// Values are fp32 activations or their bf16 copies (ushort bit patterns).
    /// </summary>
    public static void Gather<T>(T* destination, T* source, int[] rows, int count, int width, int sourceStride = 0) where T : unmanaged
    {
        long bytes = (long)width * sizeof(T), stride = sourceStride == 0 ? width : sourceStride;
        Parallelism.For(count, 64, (start, end) =>
        {
            for (int j = start; j < end; j++)
                Buffer.MemoryCopy(source + rows[j] * stride, destination + (long)j * width, bytes, bytes);
        });
    }
}
