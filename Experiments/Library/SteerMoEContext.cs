using SteerMoE.Research.Catalogs;

namespace SteerMoE.Research;

/// <summary>
/// The one entry point of the library, in the spirit of ML.NET's MLContext: it holds the single source of
/// randomness (<see cref="Seed"/>) and the catalogs through which everything is done. The `steermoe`
/// command is a thin shell over it.
/// </summary>
public sealed class SteerMoEContext
{
    /// <summary>Creates a context; every random choice made through it derives from <paramref name="seed"/>.</summary>
    public SteerMoEContext(int seed = 0)
    {
        Seed = seed;
        Models = new ModelCatalog(this);
        Data = new DataCatalog(this);
        Detection = new DetectionCatalog(this);
        Steering = new SteeringCatalog(this);
        Experiments = new ExperimentCatalog(this);
        Plots = new PlotCatalog(this);
    }

    /// <summary>The seed every random stream of this context derives from.</summary>
    public int Seed { get; }

    /// <summary>Load and inspect models.</summary>
    public ModelCatalog Models { get; }
    /// <summary>Paired datasets, builders, count tables.</summary>
    public DataCatalog Data { get; }
    /// <summary>Collect counts, rank experts, compare metrics.</summary>
    public DetectionCatalog Detection { get; }
    /// <summary>Plans and their application to a model or a generation.</summary>
    public SteeringCatalog Steering { get; }
    /// <summary>Specs, grids, the run registry.</summary>
    public ExperimentCatalog Experiments { get; }
    /// <summary>Figures and the HTML report.</summary>
    public PlotCatalog Plots { get; }

    /// <summary>
    /// A seed for one named random stream (e.g. "random-control/N=10/M=50/rep=0"): a stable function of the
    /// context seed and the name, the same on every machine and run (no string.GetHashCode).
    /// </summary>
    public int DeriveSeed(string stream)
    {
        ulong h = 14695981039346656037UL; // FNV-1a over UTF-8 bytes
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes(stream)) { h ^= b; h *= 1099511628211UL; }
        ulong z = h ^ ((ulong)(uint)Seed * 0x9E3779B97F4A7C15UL); // SplitMix64 finaliser
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }

    /// <summary>A new generator for a named stream (see <see cref="DeriveSeed"/>).</summary>
    public Random CreateRandom(string stream) => new(DeriveSeed(stream));
}
