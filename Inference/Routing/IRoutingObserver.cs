namespace SteerMoE.Research.Inference.Routing;

/// <summary>
/// Observe hook: called once per MoE layer per forward block, in layer order, from the thread that runs the
/// forward pass (never concurrently for one model), with the routing of every token of the block.
/// Observing costs no second forward pass.
/// </summary>
public interface IRoutingObserver
{
    /// <summary>Receives the routing of one layer for one block of tokens.</summary>
    void OnRouting(in RoutingBatch batch);
}
