using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Steering.Plans;

/// <summary>
/// Chooses the experts of a steering plan from a ranking (STEERMOE.md §3 and the strategies of
/// <see cref="SelectionStrategy"/>). Every plan is checked against the model shape before it is returned.
/// </summary>
public static class ExpertSelector
{
    /// <summary>
    /// Selects a plan. <paramref name="model"/> is the shape to check against (when null: the ranking's own
    /// layers and experts, with k = the cap). <paramref name="random"/> is required by the random control only;
    /// pass <c>context.CreateRandom(streamName)</c> so that the draw is reproducible.
    /// </summary>
    public static SteeringPlan Select(ExpertRanking ranking, PlanRequest request, ModelShape? model = null, Random? random = null)
    {
        request.Check();
        var shape = model ?? new ModelShape(ranking.LayerCount, ranking.ExpertCount, request.Cap);
        // A ranking of another model is caught here, before any selection.
        if (ranking.LayerCount > shape.LayerCount || ranking.ExpertCount > shape.ExpertCount)
            throw new FormatException($"{ranking.Source}: the ranking has layers 0..{ranking.LayerCount - 1} and experts 0..{ranking.ExpertCount - 1}, " +
                $"but the model has layers 0..{shape.LayerCount - 1} and experts 0..{shape.ExpertCount - 1}: is it the ranking of another model?");
        var rows = ranking.Rows.Select(r => request.Reverse ? r with { Score = -r.Score } : r).ToArray();
        var ordered = GlobalOrder(rows);
        string where = $"{ranking.Source}: column '{ranking.ScoreColumn}'";
        Selection selection = request.Strategy switch
        {
            SelectionStrategy.Authors => TopBySign(ordered, request, where, bottom: false),
            SelectionStrategy.Bottom => TopBySign(ordered, request, where, bottom: true),
            SelectionStrategy.Significant => Significant(ranking, ordered, request, where),
            SelectionStrategy.PerLayer => PerLayer(rows, request, where),
            SelectionStrategy.Random => RandomControl(ordered, request, shape, where,
                random ?? throw new ArgumentException("the random control needs a seeded Random (context.CreateRandom(stream))")),
            _ => throw new ArgumentOutOfRangeException(nameof(request)),
        };
        var provenance = new PlanProvenance
        {
            Ranking = ranking.Source, RankingSha256 = ranking.Sha256, Metric = request.Metric, Column = ranking.ScoreColumn,
            Strategy = SelectionStrategies.Id(request.Strategy),
            CountScope = request.Strategy == SelectionStrategy.PerLayer ? "per-layer" : "all-layers",
            ActivateRequested = request.Activate, DeactivateRequested = request.Deactivate,
            ActivateApplied = selection.Activate.Count, DeactivateApplied = selection.Deactivate.Count,
            ActivateDroppedByCap = selection.DroppedByCap, Cap = request.Cap, Reverse = request.Reverse,
            Seed = request.Strategy == SelectionStrategy.Random ? request.Seed : null,
            RandomStream = request.Strategy == SelectionStrategy.Random ? request.RandomStream : null,
            SignificanceColumn = request.Strategy == SelectionStrategy.Significant ? ranking.QColumn : null,
            SignificanceLevel = request.Strategy == SelectionStrategy.Significant ? request.SignificanceLevel : null,
            Strength = request.Strength,
        };
        var plan = new SteeringPlan(selection.ToLayers(request.Strength), provenance, request.Strength, LogSoftmaxScope.AllMoeLayers, ranking.Source, request.Target);
        plan.Validate(shape, $"{ranking.Source}: the selected plan");
        return plan;
    }

    /// <summary>The authors' order: |score| descending, ties broken by layer, then expert (both ascending).</summary>
    public static RankedExpert[] GlobalOrder(IEnumerable<RankedExpert> rows) =>
        rows.OrderByDescending(r => Math.Abs(r.Score)).ThenBy(r => r.Layer).ThenBy(r => r.Expert).ToArray();

    /// <summary>Chosen (layer, expert) rows in selection order, and how many activations the cap skipped.</summary>
    private sealed class Selection(int cap)
    {
        public readonly List<RankedExpert> Activate = [];
        public readonly List<RankedExpert> Deactivate = [];
        public int DroppedByCap;
        private readonly Dictionary<int, int> _activatedInLayer = [];
        private readonly Dictionary<int, int> _deactivatedInLayer = [];

        public bool LayerFull(int layer) => _activatedInLayer.GetValueOrDefault(layer) >= cap;
        public int DeactivatedIn(int layer) => _deactivatedInLayer.GetValueOrDefault(layer);

        /// <summary>Adds an activation unless its layer already has k (then it is skipped, not replaced, as the authors do).</summary>
        public void TryActivate(RankedExpert row)
        {
            if (LayerFull(row.Layer)) { DroppedByCap++; return; }
            _activatedInLayer[row.Layer] = _activatedInLayer.GetValueOrDefault(row.Layer) + 1;
            Activate.Add(row);
        }

        public void AddDeactivate(RankedExpert row)
        {
            _deactivatedInLayer[row.Layer] = DeactivatedIn(row.Layer) + 1;
            Deactivate.Add(row);
        }

        public Dictionary<int, LayerSteering> ToLayers(double strength)
        {
            var layers = new Dictionary<int, LayerSteering>();
            foreach (int layer in Activate.Concat(Deactivate).Select(r => r.Layer).Distinct().Order())
                layers[layer] = new LayerSteering(
                    Activate.Where(r => r.Layer == layer).Select(r => new SteeredExpert(r.Expert, strength)).ToArray(),
                    Deactivate.Where(r => r.Layer == layer).Select(r => new SteeredExpert(r.Expert, strength)).ToArray());
            return layers;
        }
    }

    // Authors (bottom = false) and the bottom-ranked control (bottom = true): the first / last N positive and
    // M negative rows of the global order. The check that enough rows exist comes before the cap.
    private static Selection TopBySign(RankedExpert[] ordered, PlanRequest request, string where, bool bottom)
    {
        var positive = ordered.Where(r => r.Score > 0).ToArray();
        var negative = ordered.Where(r => r.Score < 0).ToArray();
        RequireEnough(positive.Length, request.Activate, "> 0", "--activate", request.Reverse, where);
        RequireEnough(negative.Length, request.Deactivate, "< 0", "--deactivate", request.Reverse, where);
        var selection = new Selection(request.Cap);
        foreach (var r in bottom ? positive[^request.Activate..] : positive[..request.Activate]) selection.TryActivate(r);
        foreach (var r in bottom ? negative[^request.Deactivate..] : negative[..request.Deactivate]) selection.AddDeactivate(r);
        return selection;
    }

    private static Selection Significant(ExpertRanking ranking, RankedExpert[] ordered, PlanRequest request, string where)
    {
        if (ranking.QColumn is null)
            throw new ArgumentException($"{ranking.Source}: the significance strategy needs a q-value column (--q-column, e.g. fisher_q).");
        var kept = ordered.Where(r => r.Q < request.SignificanceLevel).ToArray();
        return TopBySign(kept, request, $"{where} with {ranking.QColumn} < {request.SignificanceLevel}", bottom: false);
    }

    private static Selection PerLayer(RankedExpert[] rows, PlanRequest request, string where)
    {
        var selection = new Selection(request.Cap);
        foreach (var layer in rows.GroupBy(r => r.Layer).OrderBy(g => g.Key))
        {
            var ordered = GlobalOrder(layer);
            var positive = ordered.Where(r => r.Score > 0).ToArray();
            var negative = ordered.Where(r => r.Score < 0).ToArray();
            RequireEnough(positive.Length, request.Activate, "> 0", "--activate (per layer)", request.Reverse, $"{where}, layer {layer.Key}");
            RequireEnough(negative.Length, request.Deactivate, "< 0", "--deactivate (per layer)", request.Reverse, $"{where}, layer {layer.Key}");
            foreach (var r in positive[..request.Activate]) selection.TryActivate(r);
            foreach (var r in negative[..request.Deactivate]) selection.AddDeactivate(r);
        }
        return selection;
    }

    // The random control: as many activations and deactivations as the authors' plan applies, drawn uniformly
    // (one random permutation) from the model's experts that plan does not name; an activation whose layer already has
    // k is passed over, and a deactivation that would leave a layer fewer than k experts is passed over.
    private static Selection RandomControl(RankedExpert[] ordered, PlanRequest request, ModelShape shape, string where, Random random)
    {
        var real = TopBySign(ordered, request, where, bottom: false);
        var taken = real.Activate.Concat(real.Deactivate).Select(r => (r.Layer, r.Expert)).ToHashSet();
        // Every (layer, expert) of the model, not only the ranking's rows, in a fixed order so that only the seed decides the draw.
        var candidates = (from layer in Enumerable.Range(0, shape.LayerCount)
                          where shape.DenseLayers is null || !shape.DenseLayers.Contains(layer)   // a dense layer has no experts
                          from expert in Enumerable.Range(0, shape.ExpertCount)
                          where !taken.Contains((layer, expert))
                          select new RankedExpert(layer, expert, double.NaN)).ToArray();
        random.Shuffle(candidates);
        var selection = new Selection(request.Cap);
        var used = new HashSet<(int, int)>();
        foreach (var r in candidates)
        {
            if (selection.Activate.Count == real.Activate.Count) break;
            if (selection.LayerFull(r.Layer)) continue;
            selection.TryActivate(r);
            used.Add((r.Layer, r.Expert));
        }
        foreach (var r in candidates)
        {
            if (selection.Deactivate.Count == real.Deactivate.Count) break;
            if (used.Contains((r.Layer, r.Expert)) || shape.ExpertCount - selection.DeactivatedIn(r.Layer) - 1 < shape.TopK) continue;
            selection.AddDeactivate(r);
        }
        if (selection.Activate.Count < real.Activate.Count || selection.Deactivate.Count < real.Deactivate.Count)
            throw new ArgumentException($"{where}: the random control needs {real.Activate.Count} activations and {real.Deactivate.Count} deactivations outside the real plan, " +
                $"but only {selection.Activate.Count} and {selection.Deactivate.Count} fit the cap of {request.Cap} per layer and k = {shape.TopK}.");
        return selection;
    }

    private static void RequireEnough(int available, int asked, string sign, string option, bool reverse, string where)
    {
        if (available < asked)
            throw new ArgumentException($"{where}: {option} asks for {asked} experts, but only {available} rows have a score {sign}" +
                (reverse ? " after --reverse flips the sign." : "."));
    }
}
