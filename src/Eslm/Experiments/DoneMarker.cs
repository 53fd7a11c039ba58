using Eslm.Records;

namespace Eslm.Experiments;

/// <summary>
/// The done.json of a run an experiment trains once (the reference, each seed's base), {"checkpoint": PATH}: written once
/// the run finished training, PATH relative to its folder (older files hold an absolute path). Read strictly: a damaged file is one error naming it.
/// </summary>
public static class DoneMarker
{
    /// <summary>The checkpoint the done.json in <paramref name="dir"/> names, as a full path.</summary>
    public static string Checkpoint(string dir)
    {
        string path = Path.Combine(dir, ExperimentRunner.DoneFile);
        var json = StrictJson.ReadObject(path, "done.json");
        try
        {
            var checkpoint = (string)StrictJson.Read(json["checkpoint"], typeof(string), nullable: false, "checkpoint")!;
            return Path.GetFullPath(Path.Combine(dir, checkpoint));
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
    }
}
