namespace SteerMoE.Research.Catalogs;

/// <summary>The <c>Detection</c> catalog of a <see cref="SteerMoEContext"/>.</summary>
public sealed partial class DetectionCatalog
{
    private readonly SteerMoEContext _context;

    internal DetectionCatalog(SteerMoEContext context) => _context = context;
}
