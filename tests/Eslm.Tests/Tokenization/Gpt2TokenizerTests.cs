using System.Text.Json.Nodes;
using System.Text;
using Eslm.Data;
using Eslm.Tokenization;
using SharpToken;
using Xunit;

namespace Eslm.Tests.Tokenization;

/// <summary>Eslm's GPT-2 BPE against the SharpToken r50k_base oracle, and its own round trips.</summary>
public class Gpt2TokenizerTests
{
    private static readonly Gpt2Tokenizer Tokenizer = Gpt2Tokenizer.Default;
    private static readonly GptEncoding Oracle = GptEncoding.GetEncoding("r50k_base");
    private static readonly HashSet<string> None = [];

    private static readonly string[] Texts =
    [
        "Hello world",
        "naïve café — 123,456 tokens!!  \n\n  spaces",
        "I'm you're we've they'll he'd she's it'd 'S 'sx ''s O'Neil rock'n'roll",
        "   \n\n\n   \t\t x  \n",
        "trailing spaces   ",
        "\r\n\r\nwindows\r\nline ends\r\n",
        "😀😀 👍🏽 🇯🇵 👨‍👩‍👧 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 a𝐀b 1𝟎",
        "1234567890 3.14159 -42 1e10 0x1F ١٢٣ ⅷ ²³ 1,000,000",
        "日本語のテキスト 中文 한국어 русский текст ελληνικά עברית العربية",
        "ǅungla ǈ Ⅻ ſ ß ﬁ İstanbul",
        "\u00a0\u2009x\u3000y\u2028z\u0085w\u180ev",
        "tabs\tand\u000bvertical\u000cfeeds\u001cfile-separator",
        "<|endoftext|> is ordinary text here",
        "http://example.com/path?q=1&r=2#frag user@example.org",
        "=====================================================  -------  ********",
        "<html><body><p class=\"x\">Hi&nbsp;there</p></body></html>",
        "> quoted line\n>> double quoted\n-- \nsignature",
        "",
        " ",
        "a",
    ];

    public static readonly TheoryData<string> HardTexts = new(Texts);

    [Theory]
    [MemberData(nameof(HardTexts))]
    public void Encode_matches_the_SharpToken_oracle(string text)
    {
        if (HasAstralLetterOrDigit(text)) return; // SharpToken classifies those per UTF-16 code unit: tiktoken's fixture below
        Assert.Equal(Oracle.Encode(text, None, None), Tokenizer.Encode(text));
    }

    private static bool HasAstralLetterOrDigit(string text) => PreTokenizer.HasAstralLetterOrDigit(text);

    [Fact]
    public void Encode_matches_tiktoken_with_letters_and_digits_outside_the_basic_plane()
    {
        // dev/make-tiktoken-fixture.sh: ids from npm tiktoken (OpenAI's Rust tokenizer), which classifies per code point.
        var fixture = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "tiktoken_gpt2.json")))!;
        var cases = fixture["cases"]!.AsArray();
        Assert.True(cases.Count > 200);
        Assert.Contains(cases, c => HasAstralLetterOrDigit((string)c!["text"]!));
        foreach (var c in cases)
        {
            string text = (string)c!["text"]!;
            Assert.True(c["ids"]!.AsArray().Select(x => (int)x!).SequenceEqual(Tokenizer.Encode(text)), $"differs from tiktoken: {text}");
        }
        // The case the data-pipeline review found: "'s" and "'re" after an astral letter are single tokens (338, 821).
        Assert.Equal([44484, 47728, 238, 222, 338, 220, 172, 254, 222, 222, 821], Tokenizer.Encode("Alice𝐀's 𠀀're"));
    }

    [Theory]
    [MemberData(nameof(HardTexts))]
    public void Decode_of_encode_returns_the_text(string text) => Assert.Equal(text, Tokenizer.Decode(Tokenizer.Encode(text)));

    [Fact]
    public void Invalid_surrogates_encode_like_the_oracle_as_replacement_characters()
    {
        string text = "a\uD800b\uDC00 \uDFFF\uD800 x\uD83D";
        Assert.Equal(Oracle.Encode(text, None, None), Tokenizer.Encode(text));
        Assert.Equal("a\uFFFDb\uFFFD \uFFFD\uFFFD x\uFFFD", Tokenizer.Decode(Tokenizer.Encode(text)));
    }

    [Fact]
    public void Hello_world_is_15496_995() => Assert.Equal([15496, 995], Tokenizer.Encode("Hello world"));

    [Fact]
    public void End_of_text_is_50256_only_when_special_tokens_are_allowed()
    {
        Assert.Equal([50256], Tokenizer.Encode("<|endoftext|>", allowSpecial: true));
        Assert.NotEqual([50256], Tokenizer.Encode("<|endoftext|>"));
        Assert.Equal(Oracle.Encode("a<|endoftext|>b", new HashSet<string> { "<|endoftext|>" }, None), Tokenizer.Encode("a<|endoftext|>b", allowSpecial: true));
    }

    [Fact]
    public void Every_single_character_of_the_basic_plane_in_context_matches_the_oracle()
    {
        // Each code unit c (surrogates excluded) in contexts that exercise every regex branch; batched, 512 per text.
        var failures = new List<int>();
        for (int block = 0; block < 0x10000; block += 512)
        {
            var sb = new StringBuilder();
            for (int c = block; c < block + 512; c++)
            {
                if (char.IsSurrogate((char)c)) continue;
                char ch = (char)c;
                sb.Append(ch).Append('a').Append(ch).Append(' ').Append(ch).Append(ch).Append("1").Append(ch).Append("  ").Append(ch).Append('\'').Append(ch).Append('\n');
            }
            string text = sb.ToString();
            if (!Oracle.Encode(text, None, None).SequenceEqual(Tokenizer.Encode(text))) failures.Add(block);
        }
        Assert.Empty(failures);
    }

    [Fact]
    public void Random_byte_strings_decoded_as_text_match_the_oracle()
    {
        var rng = new Random(7);
        string alphabet = " \n\t'aAzZ09!?.,-é€😀\u00a0日'sre";
        for (int i = 0; i < 300; i++)
        {
            var sb = new StringBuilder();
            int n = rng.Next(1, 60);
            for (int k = 0; k < n; k++)
            {
                int pick = rng.Next(alphabet.Length + 4);
                if (pick < alphabet.Length) sb.Append(alphabet[pick]);
                else sb.Append((char)rng.Next(0x20, 0x3000));
            }
            string text = sb.ToString();
            Assert.Equal(Oracle.Encode(text, None, None), Tokenizer.Encode(text));
        }
    }

    [Fact]
    public void Long_pieces_use_the_heap_merge_and_still_match_the_oracle()
    {
        string text = string.Concat(Enumerable.Repeat("abracadabra", 200)) + " " + new string('=', 3000) + " " + new string(' ', 2000) + "x";
        Assert.Equal(Oracle.Encode(text, None, None), Tokenizer.Encode(text));
    }

    [Fact]
    public void Parallel_encoding_of_a_large_text_equals_sequential_encoding()
    {
        string text = string.Concat(Recipes.BuiltinDocuments("clean").Take(20).Select(d => d.Text + "\n\n"));
        Assert.Equal(Tokenizer.Encode(text), Tokenizer.EncodeLarge(text, threads: 2, chunkChars: 4096));
    }

    [Fact]
    public void Batch_encoding_equals_encoding_each_document()
    {
        var docs = Recipes.BuiltinDocuments("noisy").Take(100).Select(d => d.Text).ToList();
        var batch = Tokenizer.EncodeBatch(docs, threads: 2);
        for (int i = 0; i < docs.Count; i++) Assert.Equal(Tokenizer.Encode(docs[i]), batch[i]);
    }

    [Fact]
    public void The_built_in_corpus_encodes_exactly_like_the_oracle_and_round_trips()
    {
        foreach (var part in new[] { "clean", "noisy" })
        {
            string text = string.Join("\n", Recipes.BuiltinDocuments(part).Select(d => d.Text));
            var ids = Tokenizer.Encode(text);
            Assert.Equal(Oracle.Encode(text, None, None), ids);
            Assert.Equal(text, Tokenizer.Decode(ids));
        }
    }

    [SkippableFact]
    public void Fetched_corpora_encode_exactly_like_the_oracle_when_present()
    {
        string raw = Path.Combine(RepoRoot(), "data", "raw");
        Skip.If(!Directory.Exists(raw), $"no fetched corpora in {raw} (tests never download; `eslm data fetch` does)");
        foreach (var file in Directory.GetFiles(raw, "documents.jsonl", SearchOption.AllDirectories))
        {
            // A sample of each corpus keeps the suite fast: the first 300 documents.
            var docs = File.ReadLines(file).Take(300).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToList();
            var ours = Tokenizer.EncodeBatch(docs);
            for (int i = 0; i < docs.Count; i++)
                Assert.True(Oracle.Encode(docs[i], None, None).SequenceEqual(ours[i]), $"{file}: document {i + 1} differs from SharpToken");
        }
    }

    [Fact]
    public void Vocabulary_has_50257_tokens_and_merge_i_creates_token_256_plus_i()
    {
        var v = Gpt2Vocabulary.Default;
        Assert.Equal(50257, v.Count);
        Assert.Equal(50000, v.Merges.Length);
        Assert.Equal("<|endoftext|>", Encoding.UTF8.GetString(v.TokenBytes[50256]));
        var (l, r) = v.Merges[0];
        Assert.Equal(Encoding.UTF8.GetString(v.TokenBytes[l]) + Encoding.UTF8.GetString(v.TokenBytes[r]), Encoding.UTF8.GetString(v.TokenBytes[256]));
    }

    [Fact]
    public void Pre_tokenizer_scanner_splits_like_the_regex()
    {
        foreach (var text in Texts.Append("Hello  world!!  I'm   here\n\n  ok ''s").Where(t => !HasAstralLetterOrDigit(t)))
        {
            var expected = PreTokenizer.Regex.Matches(text).Select(m => (m.Index, m.Length)).ToList();
            Assert.Equal(expected, PreTokenizer.Split(text));
        }
    }

    [Fact]
    public void Decoding_an_id_outside_the_vocabulary_is_an_error()
    {
        var e = Assert.Throws<ArgumentException>(() => Tokenizer.Decode([50257]));
        Assert.Contains("50257", e.Message);
    }

    [Fact]
    public void A_corrupted_vocabulary_file_is_rejected_by_its_sha256()
    {
        var e = Assert.Throws<InvalidDataException>(() => Gpt2Vocabulary.Load(Encoding.UTF8.GetBytes("{\"a\": 0}")));
        Assert.Contains("encoder.json", e.Message);
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Eslm.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }
}
