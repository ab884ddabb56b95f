namespace SteerMoE.Research.Catalogs;

/// <summary>The <c>Models</c> catalog of a <see cref="SteerMoEContext"/>.</summary>
public sealed partial class ModelCatalog
{
    private readonly SteerMoEContext _context;

    internal ModelCatalog(SteerMoEContext context) => _context = context;
}
