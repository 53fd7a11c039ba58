using Eslm.Data;
using Xunit;

namespace Eslm.Tests.Data;

public class TokenWindowsTests
{
    private static TokenWindow[] All(long targets, int T, WindowTail tail) =>
        Enumerable.Range(0, (int)TokenWindows.Count(targets, T)).Select(k => TokenWindows.Get(k, targets, T, tail)).ToArray();

    [Fact]
    public void Windows_start_at_multiples_of_T_and_an_overlapping_tail_ends_at_the_last_target()
    {
        // 11 tokens = 10 targets, T = 4: [0,4) [4,8) and the tail [6,10), whose targets 7 and 8 repeat the second window's.
        Assert.Equal([new(0, 4, 1), new(4, 4, 5), new(6, 4, 9)], All(10, 4, WindowTail.Overlap));
    }

    [Fact]
    public void A_partial_tail_starts_where_its_predecessor_ended_and_holds_only_the_remaining_targets()
    {
        Assert.Equal([new(0, 4, 1), new(4, 4, 5), new(8, 2, 9)], All(10, 4, WindowTail.Partial));
        Assert.Equal([new(0, 3, 1)], All(3, 4, WindowTail.Partial));
    }

    [Theory]
    [InlineData(WindowTail.Overlap)]
    [InlineData(WindowTail.Partial)]
    public void Targets_that_fill_whole_windows_give_the_same_aligned_windows_for_both_tails(WindowTail tail)
    {
        Assert.Equal([new(0, 4, 1), new(4, 4, 5)], All(8, 4, tail));
        Assert.Empty(All(0, 4, tail));
    }

    [Theory]
    [InlineData(WindowTail.Overlap)]
    [InlineData(WindowTail.Partial)]
    public void Every_target_is_new_in_exactly_one_window_and_windows_stay_inside_the_stream(WindowTail tail)
    {
        for (int T = 1; T <= 7; T++)
            for (long targets = tail == WindowTail.Overlap ? T : 0; targets <= 40; targets++)
            {
                var seen = new int[targets + 1];
                foreach (var w in All(targets, T, tail))
                {
                    Assert.True(w.Start >= 0 && w.Start + w.Length <= targets, $"T={T} targets={targets}: {w} leaves the stream");
                    for (int t = 0; t < w.Length; t++)
                        if (w.IsNew(t)) seen[w.Start + 1 + t]++;
                }
                Assert.Equal(0, seen[0]); // token 0 is never a target
                for (long i = 1; i <= targets; i++) Assert.True(seen[i] == 1, $"T={T} targets={targets}: target {i} is new {seen[i]} times");
            }
    }

    [Fact]
    public void An_overlapping_tail_needs_at_least_T_targets()
    {
        Assert.Throws<ArgumentException>(() => TokenWindows.Get(0, 3, 4, WindowTail.Overlap));
    }
}
