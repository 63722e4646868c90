namespace TensorGraph;

/// <summary>The methods of <see cref="Graph.ResizeImages(Output, Output, ResizeMethod, bool, string)"/> (TF's <c>tf.image.ResizeMethod</c>, same values).</summary>
public enum ResizeMethod
{
    /// <summary>Bilinear interpolation (<c>ResizeBilinear</c>, float32 result).</summary>
    Bilinear = 0,

    /// <summary>Nearest neighbour (<c>ResizeNearestNeighbor</c>, the images' dtype).</summary>
    NearestNeighbor = 1,

    /// <summary>Bicubic interpolation (<c>ResizeBicubic</c>, float32 result).</summary>
    Bicubic = 2,

    /// <summary>Area averaging (<c>ResizeArea</c>, float32 result).</summary>
    Area = 3,
}

public sealed partial class Graph
{
    /// <summary>
    /// TF 1.15's <c>tf.image.resize_images</c> (v1): 3-D [h, w, c] or 4-D [n, h, w, c]
    /// <paramref name="images"/> resized to the int32 [new_height, new_width]
    /// <paramref name="size"/> with <paramref name="method"/>, in a <c>resize</c> name scope. A 3-D
    /// image is batched with ExpandDims and unbatched with Squeeze; when both the images' and the
    /// size's height and width are static and equal the images come back unchanged. The resized
    /// shape's height and width are set from a constant size, as TF does.
    /// </summary>
    public Output ResizeImages(Output images, Output size, ResizeMethod method = ResizeMethod.Bilinear, bool alignCorners = false, string? name = null)
    {
        using var scope = NameScope(name ?? "resize");
        return ResizeImagesInScope(images, size, method, alignCorners);
    }

    private Output ResizeImagesInScope(Output images, Output size, ResizeMethod method, bool alignCorners)
    {
        var shape = images.Shape;
        if (!shape.IsRankKnown) throw new InvalidArgumentException("'images' contains no shape.");
        if (shape.Rank is not (3 or 4)) throw new InvalidArgumentException("'images' must have either 3 or 4 dimensions.");
        if (size.DType != DType.Int32 || !size.Shape.IsCompatibleWith(new Shape(2)))
            throw new InvalidArgumentException("'size' must be a 1-D Tensor of 2 elements: new_height, new_width");
        bool isBatch = shape.Rank == 4;
        if (!isBatch) images = ExpandDims(images, 0);
        int height = images.Shape[1], width = images.Shape[2];
        var target = PartialShapeValue(size);
        int newHeight = target.IsRankKnown && target.Rank == 2 ? target[0] : -1;
        int newWidth = target.IsRankKnown && target.Rank == 2 ? target[1] : -1;
        if (newHeight >= 0 && newWidth >= 0 && height == newHeight && width == newWidth)
            return isBatch ? images : Squeeze(images, [0]);
        var resized = method switch
        {
            ResizeMethod.Bilinear => ResizeBilinear(images, size, alignCorners),
            ResizeMethod.NearestNeighbor => ResizeNearestNeighbor(images, size, alignCorners),
            ResizeMethod.Bicubic => ResizeBicubic(images, size, alignCorners),
            ResizeMethod.Area => ResizeArea(images, size, alignCorners),
            _ => throw new InvalidArgumentException($"Resize method is not implemented: {method}"),
        };
        SetShape(resized, new Shape(-1, newHeight, newWidth, -1));
        return isBatch ? resized : Squeeze(resized, [0]);
    }

    /// <summary>
    /// <see cref="ResizeImages(Output, Output, ResizeMethod, bool, string)"/> to a constant
    /// [<paramref name="newHeight"/>, <paramref name="newWidth"/>].
    /// </summary>
    public Output ResizeImages(Output images, int newHeight, int newWidth, ResizeMethod method = ResizeMethod.Bilinear, bool alignCorners = false, string? name = null)
    {
        using var scope = NameScope(name ?? "resize");
        var size = Constant(new[] { newHeight, newWidth }, name: "size");
        return ResizeImagesInScope(images, size, method, alignCorners);
    }
}
