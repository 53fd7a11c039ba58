namespace Eslm.Tensors;

/// <summary>Copies chosen rows of a row-major matrix into a compact one (the kept tokens' activations, for the GEMMs).</summary>
public static unsafe class RowGather
{
    /// <summary>
    /// destination[j, :] = source[rows[j], :width] for j &lt; count; destination rows are <paramref name="width"/> floats,
    /// source rows <paramref name="sourceStride"/> floats apart (default: width), so a leading column block can be taken.
    /// </summary>
    public static void Gather(float* destination, float* source, int[] rows, int count, int width, int sourceStride = 0)
    {
        long bytes = (long)width * sizeof(float), stride = sourceStride == 0 ? width : sourceStride;
        Parallelism.For(count, 64, (start, end) =>
        {
            for (int j = start; j < end; j++)
                Buffer.MemoryCopy(source + rows[j] * stride, destination + (long)j * width, bytes, bytes);
        });
    }
}
