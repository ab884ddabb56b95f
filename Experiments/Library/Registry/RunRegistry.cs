using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SteerMoE.Research.Specs;

namespace SteerMoE.Research.Registry;

/// <summary>State of a cell in the registry.</summary>
public enum CellStatus
{
    /// <summary>Recorded, not started.</summary>
    Pending,
    /// <summary>Started and not finished: a run that was killed leaves its cell here, and the next run redoes it.</summary>
    Running,
    /// <summary>Finished; its metrics and artifacts are recorded and it is never recomputed.</summary>
    Done,
    /// <summary>Ended with an error, which the registry keeps.</summary>
    Failed,
}

/// <summary>What the registry holds for one cell.</summary>
public sealed record CellRecord(string Key, ExperimentCell Cell, CellStatus Status,
    IReadOnlyDictionary<string, double> Metrics, IReadOnlyDictionary<string, string> Artifacts, string? Error);

/// <summary>
/// The experiment registry: one SQLite file per run folder (registry.sqlite) holding the run (spec text and
/// hash, code commit, machine, input hashes) and every cell (parameters, status, metrics, artifact paths,
/// times). Each state change is one transaction, so a run killed at any point resumes where it stopped:
/// finished cells are never recomputed, a cell left "running" is run again.
/// </summary>
public sealed class RunRegistry : IDisposable
{
    private readonly SqliteConnection _db;

    private RunRegistry(SqliteConnection db, string path) { _db = db; Path = path; }

    /// <summary>The registry file.</summary>
    public string Path { get; }

    /// <summary>Opens (or creates) the registry of a run folder.</summary>
    public static RunRegistry Open(string runDirectory)
    {
        Data.Files.AtomicFile.EnsureWritableFolder(runDirectory);
        string path = System.IO.Path.Combine(runDirectory, "registry.sqlite");
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        db.Open();
        Execute(db, """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            CREATE TABLE IF NOT EXISTS run (
              id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL, spec_sha256 TEXT NOT NULL, spec_text TEXT NOT NULL,
              created_utc TEXT NOT NULL, code_commit TEXT, machine_json TEXT NOT NULL, inputs_json TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS cell (
              key TEXT PRIMARY KEY, ordinal INTEGER NOT NULL, params_json TEXT NOT NULL, status TEXT NOT NULL,
              metrics_json TEXT, artifacts_json TEXT, error TEXT, started_utc TEXT, finished_utc TEXT);
            """);
        return new RunRegistry(db, path);
    }

    /// <summary>
    /// Records the run and its cells the first time; on a later call with the same spec and the same inputs, keeps
    /// everything (resume). Results of two specs or of two versions of an input never mix: a different spec, or an input
    /// whose sha256 changed (model weights, tokenizer, pairs, benchmark files, judges), is an error listing what differs,
    /// except that a run none of whose cells has started is replaced (a spec corrected after it failed validation).
    /// </summary>
    public void Begin(ExperimentSpec spec, IReadOnlyList<ExperimentCell> cells, IReadOnlyDictionary<string, string> inputHashes, string? codeCommit)
    {
        using var tx = _db.BeginTransaction();
        using (var q = Command("SELECT spec_sha256, inputs_json FROM run WHERE id = 1", tx))
        using (var r = q.ExecuteReader())
        {
            if (r.Read())
            {
                string existing = r.GetString(0);
                var recorded = JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(1)) ?? [];
                r.Close();
                string? changed = existing != spec.Sha256
                    ? $"this run folder holds a different spec (sha256 {existing[..12]}…, yours {spec.Sha256[..12]}…)"
                    : ChangedInputs(recorded, inputHashes) is { Length: > 0 } inputs ? $"inputs changed since the run began: {inputs}" : null;
                if (changed == null) { tx.Commit(); return; }
                if (StartedCells(tx) > 0)
                    throw new InvalidDataException($"{Path}: {changed}; its results would mix with the new ones: use a new --out folder, or --force-new to write one beside it.");
                using var clear = Command("DELETE FROM cell; DELETE FROM run;", tx);   // nothing ran: the corrected spec starts afresh
                clear.ExecuteNonQuery();
            }
        }
        using (var ins = Command("INSERT INTO run VALUES (1, $name, $sha, $text, $created, $commit, $machine, $inputs)", tx))
        {
            ins.Parameters.AddWithValue("$name", spec.Name);
            ins.Parameters.AddWithValue("$sha", spec.Sha256);
            ins.Parameters.AddWithValue("$text", spec.Text);
            ins.Parameters.AddWithValue("$created", Now());
            ins.Parameters.AddWithValue("$commit", (object?)codeCommit ?? DBNull.Value);
            ins.Parameters.AddWithValue("$machine", JsonSerializer.Serialize(MachineInfo()));
            ins.Parameters.AddWithValue("$inputs", JsonSerializer.Serialize(inputHashes));
            ins.ExecuteNonQuery();
        }
        for (int i = 0; i < cells.Count; i++)
        {
            using var c = Command("INSERT INTO cell (key, ordinal, params_json, status) VALUES ($key, $ord, $params, 'Pending')", tx);
            c.Parameters.AddWithValue("$key", cells[i].Key);
            c.Parameters.AddWithValue("$ord", i);
            c.Parameters.AddWithValue("$params", JsonSerializer.Serialize(cells[i]));
            c.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>The inputs whose sha256 differs, was added or was removed, e.g. "model/model.safetensors (sha256 1a2b3c4d5e6f… → 9f8e7d6c5b4a…)".</summary>
    public static string ChangedInputs(IReadOnlyDictionary<string, string> recorded, IReadOnlyDictionary<string, string> now) =>
        string.Join(", ", recorded.Keys.Union(now.Keys).Order(StringComparer.Ordinal).Select(name =>
            (recorded.TryGetValue(name, out var was), now.TryGetValue(name, out var @is)) switch
            {
                (true, true) when was == @is => null,
                (true, true) => $"{name} (sha256 {was![..12]}… → {@is![..12]}…)",
                (true, false) => $"{name} (no longer an input)",
                _ => $"{name} (new input)",
            }).Where(s => s != null));

    private long StartedCells(SqliteTransaction tx)
    {
        using var c = Command("SELECT COUNT(*) FROM cell WHERE status <> 'Pending'", tx);
        return (long)c.ExecuteScalar()!;
    }

    /// <summary>Marks a cell as running (a crash leaves it so; it is rerun on resume).</summary>
    public void MarkRunning(string key) => Update(key, "UPDATE cell SET status = 'Running', started_utc = $now, error = NULL WHERE key = $key");

    /// <summary>Records a finished cell's metrics and artifacts in one transaction.</summary>
    public void MarkDone(string key, IReadOnlyDictionary<string, double> metrics, IReadOnlyDictionary<string, string> artifacts)
    {
        using var c = Command("UPDATE cell SET status = 'Done', metrics_json = $m, artifacts_json = $a, finished_utc = $now WHERE key = $key", null);
        c.Parameters.AddWithValue("$m", JsonSerializer.Serialize(metrics.ToDictionary(kv => kv.Key, kv => CsvDouble(kv.Value))));
        c.Parameters.AddWithValue("$a", JsonSerializer.Serialize(artifacts));
        c.Parameters.AddWithValue("$now", Now());
        c.Parameters.AddWithValue("$key", key);
        if (c.ExecuteNonQuery() != 1) throw new InvalidDataException($"{Path}: no cell '{key}'.");
    }

    /// <summary>Copies one cell's status, metrics, artifacts, error and times from another registry of the same run (a slice's).</summary>
    public void CopyCell(RunRegistry from, string key)
    {
        using var read = from.Command("SELECT status, metrics_json, artifacts_json, error, started_utc, finished_utc FROM cell WHERE key = $key", null);
        read.Parameters.AddWithValue("$key", key);
        using var r = read.ExecuteReader();
        if (!r.Read()) throw new InvalidDataException($"{from.Path}: no cell '{key}'.");
        using var c = Command("UPDATE cell SET status = $s, metrics_json = $m, artifacts_json = $a, error = $e, started_utc = $st, finished_utc = $f WHERE key = $key", null);
        string[] names = ["$s", "$m", "$a", "$e", "$st", "$f"];
        for (int i = 0; i < names.Length; i++) c.Parameters.AddWithValue(names[i], r.IsDBNull(i) ? DBNull.Value : r.GetString(i));
        c.Parameters.AddWithValue("$key", key);
        if (c.ExecuteNonQuery() != 1) throw new InvalidDataException($"{Path}: no cell '{key}'.");
    }

    /// <summary>Records a failed cell with its error.</summary>
    public void MarkFailed(string key, string error)
    {
        using var c = Command("UPDATE cell SET status = 'Failed', error = $e, finished_utc = $now WHERE key = $key", null);
        c.Parameters.AddWithValue("$e", error);
        c.Parameters.AddWithValue("$now", Now());
        c.Parameters.AddWithValue("$key", key);
        c.ExecuteNonQuery();
    }

    /// <summary>All cells in their spec order.</summary>
    public IReadOnlyList<CellRecord> Cells()
    {
        var list = new List<CellRecord>();
        using var c = Command("SELECT key, params_json, status, metrics_json, artifacts_json, error FROM cell ORDER BY ordinal", null);
        using var r = c.ExecuteReader();
        while (r.Read())
        {
            var metrics = r.IsDBNull(3) ? new Dictionary<string, string>() : JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(3))!;
            list.Add(new CellRecord(r.GetString(0), JsonSerializer.Deserialize<ExperimentCell>(r.GetString(1))!,
                Enum.Parse<CellStatus>(r.GetString(2)),
                metrics.ToDictionary(kv => kv.Key, kv => double.Parse(kv.Value, CultureInfo.InvariantCulture)),
                r.IsDBNull(4) ? new Dictionary<string, string>() : JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(4))!,
                r.IsDBNull(5) ? null : r.GetString(5)));
        }
        return list;
    }

    /// <summary>Closes the database.</summary>
    public void Dispose() => _db.Dispose();

    private void Update(string key, string sql)
    {
        using var c = Command(sql, null);
        c.Parameters.AddWithValue("$now", Now());
        c.Parameters.AddWithValue("$key", key);
        if (c.ExecuteNonQuery() != 1) throw new InvalidDataException($"{Path}: no cell '{key}'.");
    }

    private SqliteCommand Command(string sql, SqliteTransaction? tx)
    {
        var c = _db.CreateCommand();
        c.CommandText = sql;
        c.Transaction = tx;
        return c;
    }

    private static void Execute(SqliteConnection db, string sql)
    {
        using var c = db.CreateCommand();
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }

    // Metrics are stored as round-trip text so that NaN and infinities survive JSON.
    private static string CsvDouble(double v) => SteerMoE.Research.Data.Tables.CsvTable.Format(v);

    private static string Now() => DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>The machine facts recorded with a run.</summary>
    public static Dictionary<string, string> MachineInfo() => new()
    {
        ["machine"] = Environment.MachineName,
        ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        ["cpu_count"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
        ["framework"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        ["architecture"] = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString(),
    };
}
