using Eslm.Ops;
using Eslm.Tests.Reference;
using Xunit;
using static Eslm.Tests.Reference.Numerics;

namespace Eslm.Tests.Ops;

/// <summary>
/// <see cref="Attention.BackwardKeptQueries"/> against the double-precision reference backward with dOut zero on the
/// dropped queries: into all positions (exact) it is that whole gradient; into the kept rows only it is the same
/// gradient read at the kept rows (dropped rows' dQ is zero, and their dK, dV are what the kept-rows backward discards).
/// </summary>
public unsafe class AttentionKeptQueriesTests
{
    public AttentionKeptQueriesTests() => Blas.Ensure();

    public static TheoryData<int, int, int, int, double> Cases => new()
    {
        // B, T, C, NH, kept fraction: tiny, odd, several blocks of kept queries (> 128 kept in one sequence), a few kept.
        { 1, 3, 12, 3, 0.6 }, { 2, 17, 12, 3, 0.5 }, { 1, 300, 8, 2, 0.95 }, { 3, 130, 10, 5, 0.3 }, { 2, 40, 6, 2, 0.05 },
    };

    /// <summary>
    /// Keeps each query with probability <paramref name="keep"/> (always the first sequence's last one, so none is empty),
    /// zeroing the dropped queries' rows of <paramref name="dOut"/>; returns the kept rows and each sequence's first index.
    /// </summary>
    internal static (int[] Rows, int[] Start) DrawKeptQueries(Random rng, int B, int T, int C, double keep, float[] dOut)
    {
        var kept = new List<int>();
        var start = new int[B + 1];
        for (int b = 0; b < B; b++)
        {
            start[b] = kept.Count;
            for (int t = 0; t < T; t++)
                if (rng.NextDouble() < keep || (b == 0 && t == T - 1)) kept.Add(b * T + t);
                else Array.Clear(dOut, (b * T + t) * C, C);
        }
        start[B] = kept.Count;
        return (kept.ToArray(), start);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_reference_restricted_to_kept_queries(int B, int T, int C, int NH, double keep)
    {
        var rng = new Random(B * 1000 + T + C);
        int BT = B * T, C3 = 3 * C;
        var qkv = Randn(rng, BT * C3, 1.5);
        var dOut = Randn(rng, BT * C);
        var (rows, start) = AttentionKeptQueriesTests.DrawKeptQueries(rng, B, T, C, keep, dOut);
        int n = rows.Length;
        var expected = new double[BT * C3];
        RefOps.AttentionBackward(expected, ToDouble(dOut), ToDouble(qkv), B, T, C, NH);

        float[] o = new float[BT * C], att = new float[B * NH * T * T];
        float[] dOutKept = new float[n * C], qKept = new float[n * C], dKept = new float[n * C3], dAll = new float[BT * C3], staging = new float[n * C3];
        for (int j = 0; j < n; j++)
        {
            Array.Copy(dOut, rows[j] * C, dOutKept, j * C, C);
            Array.Copy(qkv, rows[j] * C3, qKept, j * C, C);
        }
        fixed (float* po = o, pa = att, pq = qkv, pdk = dKept, pda = dAll, pst = staging, pdo = dOutKept, pqk = qKept)
        {
            Attention.Forward(po, pa, pq, B, T, C, NH);
            Attention.BackwardKeptQueries(pdk, null, pdo, pqk, pq, pa, B, T, C, NH, rows, start);
            Attention.BackwardKeptQueries(pst, pda, pdo, pqk, pq, pa, B, T, C, NH, rows, start);
        }
        AssertClose(expected, dAll, 1e-5, $"attention.bwd.kept.all B={B} T={T} C={C} NH={NH}");
        var expectedKept = new double[n * C3];
        for (int j = 0; j < n; j++) Array.Copy(expected, rows[j] * C3, expectedKept, j * C3, C3);
        AssertClose(expectedKept, dKept, 1e-5, $"attention.bwd.kept.rows B={B} T={T} C={C} NH={NH}");
    }
}
