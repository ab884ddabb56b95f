namespace SteerMoE.Research.Catalogs;

/// <summary>The <c>Plots</c> catalog of a <see cref="SteerMoEContext"/>.</summary>
public sealed partial class PlotCatalog
{
    private readonly SteerMoEContext _context;

    internal PlotCatalog(SteerMoEContext context) => _context = context;
}
