using Eslm.Tensors;
using Xunit;

namespace Eslm.Tests.Tensors;

/// <summary>
/// A block's bf16 mirror is current only for the block version it was rounded or written at: any later change to the
/// block (a span write, a load) makes it stale, and a refresh rounds the new values.
/// </summary>
public unsafe class Bf16MirrorTests
{
    private static TensorBlock Block(params float[] values)
    {
        var block = new TensorBlock([new TensorSpec("a", 2), new TensorSpec("b", values.Length - 2)]);
        values.CopyTo(block.All);
        return block;
    }

    [Fact]
    public void A_new_mirror_is_stale_and_a_refresh_rounds_every_tensor()
    {
        using var block = Block(1f, 1.00390625f, -3.1f, 1e-3f, 7f);
        var mirror = block.KeepBf16Mirror();
        Assert.False(mirror.IsCurrent);
        mirror.Refresh();
        Assert.True(mirror.IsCurrent);
        for (int t = 0; t < 2; t++)
            for (int i = 0; i < block.Specs[t].Count; i++)
                Assert.Equal(Bf16.FromFloat(block.Pointer(t)[i]), mirror.Pointer(t)[i]);
    }

    [Fact]
    public void A_change_to_the_block_makes_the_mirror_stale_until_the_next_refresh()
    {
        using var block = Block(1f, 2f, 3f, 4f);
        var mirror = block.KeepBf16Mirror();
        mirror.Refresh();
        block.Span("b")[1] = 10f;
        Assert.False(mirror.IsCurrent);
        mirror.Refresh();
        Assert.Equal(Bf16.FromFloat(10f), mirror.Pointer("b")[1]);
    }

    [Fact]
    public void Marking_it_current_takes_the_writer_at_its_word_and_a_refresh_then_rounds_nothing()
    {
        using var block = Block(1f, 2f, 3f, 4f);
        var mirror = block.KeepBf16Mirror();
        block.MarkModified();
        mirror.Pointer(0)[0] = 0x1234; // what a writer put there
        mirror.MarkCurrent();
        mirror.Refresh();
        Assert.Equal((ushort)0x1234, mirror.Pointer(0)[0]);
    }

    [Fact]
    public void The_block_keeps_one_mirror_until_it_drops_it()
    {
        using var block = Block(1f, 2f, 3f);
        Assert.Null(block.Bf16Mirror);
        var mirror = block.KeepBf16Mirror();
        Assert.Same(mirror, block.KeepBf16Mirror());
        block.DropBf16Mirror();
        Assert.Null(block.Bf16Mirror);
    }

    [Fact]
    public void A_packed_copy_is_written_once_per_block_version_and_again_after_a_change()
    {
        using var block = Block(1f, 2f, 3f, 4f, 5f);
        var mirror = block.KeepBf16Mirror();
        mirror.Refresh();
        int writes = 0;
        void Pack(void* plain, void* packed)
        {
            writes++;
            for (int i = 0; i < 3; i++) ((ushort*)packed)[2 - i] = ((ushort*)plain)[i]; // a toy layout: reversed
        }
        ushort* b = mirror.Pointer("b");
        var first = (ushort*)mirror.Packed(b, 0, 6, Pack);
        var again = (ushort*)mirror.Packed(b, 0, 6, Pack);
        Assert.Equal(1, writes);
        Assert.True(first == again, "the same copy serves every product of one version");
        Assert.Equal(Bf16.FromFloat(5f), first[0]);
        Assert.Equal(6, mirror.PackedBytes);

        block.Span("b")[2] = 9f; // e.g. an optimizer step
        mirror.Refresh();
        var after = (ushort*)mirror.Packed(b, 0, 6, Pack);
        Assert.Equal(2, writes);
        Assert.Equal(Bf16.FromFloat(9f), after[0]);
    }

    [Fact]
    public void A_packed_copy_is_refused_while_the_mirror_is_stale()
    {
        using var block = Block(1f, 2f, 3f, 4f);
        var mirror = block.KeepBf16Mirror();
        var error = Assert.Throws<InvalidOperationException>(() => mirror.Packed(mirror.Pointer(0), 0, 4, (_, _) => { }));
        Assert.Contains("stale", error.Message);
    }
}
