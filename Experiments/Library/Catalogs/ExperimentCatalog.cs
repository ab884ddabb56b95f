namespace SteerMoE.Research.Catalogs;

/// <summary>The <c>Experiments</c> catalog of a <see cref="SteerMoEContext"/>.</summary>
public sealed partial class ExperimentCatalog
{
    private readonly SteerMoEContext _context;

    internal ExperimentCatalog(SteerMoEContext context) => _context = context;
}
