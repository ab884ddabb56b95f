using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Catalogs;

/// <summary>The <c>Steering</c> catalog of a <see cref="SteerMoEContext"/>: plans and their application.</summary>
public sealed partial class SteeringCatalog
{
    private readonly SteerMoEContext _context;

    internal SteeringCatalog(SteerMoEContext context) => _context = context;

    /// <summary>Reads the steering mask of a PLAN.json (or a bare layers mapping).</summary>
    public SteeringMask LoadMask(string path) => SteeringMask.Load(path);
}
