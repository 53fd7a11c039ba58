using System.Globalization;
using System.Net;
using System.Text;
using Eslm.Records;

namespace Eslm.Reporting;

/// <summary>
/// What a strategy keeps on a text (scored by training's TextSelection), rendered as an HTML page that colours each token by its score and marks kept and dropped tokens.
/// </summary>
public static class SelectionPage
{
    /// <summary>Pairs each prediction of a scored text with the text of its target token.</summary>
    /// <param name="tokens">The text's token ids (prediction i targets token i + 1).</param>
    /// <param name="tokenBytes">Token id → its UTF-8 bytes (characters split across tokens appear with the token that completes them).</param>
    public static List<ScoredToken> Tokens(int[] tokens, float[] scores, float[] losses, float[] entropies, bool[] keep, Func<int, byte[]> tokenBytes)
    {
        int n = tokens.Length - 1;
        var decoder = new UTF8Encoding(false).GetDecoder();
        var result = new List<ScoredToken>(n);
        var chars = new char[64];
        for (int i = 0; i < n; i++)
        {
            var bytes = tokenBytes(tokens[i + 1]);
            if (chars.Length < bytes.Length + 8) chars = new char[bytes.Length + 8];
            int count = decoder.GetChars(bytes, 0, bytes.Length, chars, 0, flush: false);
            result.Add(new ScoredToken(new string(chars, 0, count), scores[i], losses[i], entropies[i], keep[i]));
        }
        return result;
    }

    public static string Html(IReadOnlyList<ScoredToken> tokens, string title, string description)
    {
        var finite = tokens.Select(t => t.Score).Where(float.IsFinite).OrderBy(s => s).ToArray();
        double Rank(float s) => finite.Length <= 1 || !float.IsFinite(s) ? 0.5 : (double)LowerBound(finite, s) / (finite.Length - 1);
        int kept = tokens.Count(t => t.Kept);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(title)).Append("</title>\n<style>\n")
            .Append("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\n")
            .Append(".text{font-family:ui-monospace,monospace;font-size:0.95rem;line-height:1.9;white-space:pre-wrap;word-wrap:break-word}\n")
            .Append(".t{border-radius:2px}\n.k{border-bottom:2px solid #111}\n.d{color:#999;text-decoration:line-through;text-decoration-color:#bbb}\n")
            .Append(".legend span{display:inline-block;padding:0 .5rem;margin-right:.3rem}\n</style></head><body>\n")
            .Append("<h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1>\n<p>").Append(WebUtility.HtmlEncode(description)).Append("</p>\n")
            .Append(CultureInfo.InvariantCulture, $"<p>{tokens.Count} predicted tokens, <b>{kept}</b> kept ({100.0 * kept / Math.Max(1, tokens.Count):F1}%), " +
                                                  $"mean loss {tokens.Average(t => t.Loss):F3} (all) vs {(kept == 0 ? double.NaN : tokens.Where(t => t.Kept).Average(t => t.Loss)):F3} (kept).</p>\n")
            .Append("<p class=\"legend\">Background: score rank, <span style=\"background:").Append(Colour(0)).Append("\">lowest</span>")
            .Append("<span style=\"background:").Append(Colour(0.5)).Append("\">median</span><span style=\"background:").Append(Colour(1)).Append("\">highest</span>")
            .Append(" · <span class=\"k\">kept</span> (underlined) · <span class=\"d\">dropped</span> (struck through). Hover a token for its numbers.</p>\n<div class=\"text\">");
        foreach (var t in tokens)
        {
            string tip = string.Create(CultureInfo.InvariantCulture, $"score {t.Score:G4} | loss {t.Loss:F3} | entropy {t.Entropy:F3} | {(t.Kept ? "kept" : "dropped")}");
            html.Append("<span class=\"t ").Append(t.Kept ? "k" : "d").Append("\" style=\"background:").Append(Colour(Rank(t.Score)))
                .Append("\" title=\"").Append(WebUtility.HtmlEncode(tip)).Append("\">").Append(WebUtility.HtmlEncode(t.Text)).Append("</span>");
        }
        html.Append("</div>\n</body></html>\n");
        return html.ToString();
    }

    private static int LowerBound(float[] sorted, float value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi) { int mid = (lo + hi) / 2; if (sorted[mid] < value) lo = mid + 1; else hi = mid; }
        return lo;
    }

    /// <summary>White-blue (low) to white to orange-red (high).</summary>
    private static string Colour(double x)
    {
        x = Math.Clamp(x, 0, 1);
        (double r, double g, double b) = x < 0.5
            ? Lerp((0.62, 0.79, 0.95), (1, 1, 1), x / 0.5)
            : Lerp((1, 1, 1), (0.98, 0.45, 0.30), (x - 0.5) / 0.5);
        return string.Create(CultureInfo.InvariantCulture, $"rgb({(int)(r * 255)},{(int)(g * 255)},{(int)(b * 255)})");
    }

    private static (double, double, double) Lerp((double, double, double) a, (double, double, double) b, double t) =>
        (a.Item1 + (b.Item1 - a.Item1) * t, a.Item2 + (b.Item2 - a.Item2) * t, a.Item3 + (b.Item3 - a.Item3) * t);
}
