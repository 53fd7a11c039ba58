using Eslm.Data;
using Xunit;

namespace Eslm.Tests.Data;

public class UnigramBaselineTests : DataTestBase
{
    private TokenSequence Tokens(string name, params ushort[] ids)
    {
        string path = Path.Combine(Dir, name);
        TokenShard.Write(path, ids);
        return TokenSequence.Open(path);
    }

    [Fact]
    public void The_loss_is_the_mean_negative_log_of_add_one_smoothed_training_frequencies()
    {
        using var train = Tokens("train.bin", 0, 0, 1, 2);
        using var val = Tokens("val.bin", 0, 1, 3);
        // 4 training tokens + 4 ids of add-one: p(0) = 3/8, p(1) = 2/8, p(3) = 1/8 (never in training, still finite).
        double expected = -(Math.Log(3.0 / 8) + Math.Log(2.0 / 8) + Math.Log(1.0 / 8)) / 3;
        Assert.Equal(expected, UnigramBaseline.CrossEntropy(train, val, vocabulary: 4), 1e-12);
    }

    [Fact]
    public void A_token_id_outside_the_vocabulary_is_an_error_naming_the_file()
    {
        using var train = Tokens("train.bin", 0, 1);
        using var val = Tokens("bad.bin", 0, 7);
        Assert.Contains("bad.bin", Assert.Throws<InvalidDataException>(() => UnigramBaseline.CrossEntropy(train, val, vocabulary: 4)).Message);
    }
}
