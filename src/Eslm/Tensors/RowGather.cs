namespace Eslm.Tensors;

/// <summary>Copies chosen rows of a row-major matrix into a compact one (the kept tokens' activations, for the GEMMs).</summary>
public static unsafe class RowGather
{
    /// <summary>destination[j, :] = source[rows[j], :] for j &lt; count; rows are <paramref name="width"/> floats.</summary>
    public static void Gather(float* destination, float* source, int[] rows, int count, int width)
    {
        long bytes = (long)width * sizeof(float);
        Parallelism.For(count, 64, (start, end) =>
        {
            for (int j = start; j < end; j++)
                Buffer.MemoryCopy(source + (long)rows[j] * width, destination + (long)j * width, bytes, bytes);
        });
    }
}
