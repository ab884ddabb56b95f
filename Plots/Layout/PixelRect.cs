namespace SteerMoE.Research.Plots.Layout;

/// <summary>A rectangle in figure pixels (origin top-left, y downwards; 96 pixels to the inch).</summary>
public readonly record struct PixelRect(double X, double Y, double Width, double Height)
{
    /// <summary>X + Width.</summary>
    public double Right => X + Width;
    /// <summary>Y + Height.</summary>
    public double Bottom => Y + Height;
    /// <summary>True when the point lies inside (edges included).</summary>
    public bool Contains(double x, double y) => x >= X && x <= Right && y >= Y && y <= Bottom;
    /// <summary>True when the two rectangles share some area.</summary>
    public bool Intersects(PixelRect o) => X < o.Right && o.X < Right && Y < o.Bottom && o.Y < Bottom;
}

/// <summary>The side of a panel an attached panel sits on.</summary>
public enum PanelSide
{
    /// <summary>Above the data area, sharing its x range.</summary>
    Top,
    /// <summary>Right of the data area, sharing its y range.</summary>
    Right,
}

/// <summary>Where a panel draws its legend.</summary>
public enum LegendPlacement
{
    /// <summary>No legend.</summary>
    None,
    /// <summary>Inside the data area, in the corner that covers the fewest data points.</summary>
    InsideBest,
    /// <summary>Right of the data area (space is reserved for it).</summary>
    OutsideRight,
    /// <summary>Above the data area, entries in one row (space is reserved for it).</summary>
    Top,
}
