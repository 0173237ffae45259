using MnistCnn.Core.Data;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace MnistCnn.Core.Training;

/// <summary>
/// Per-batch, on-device augmentation that makes a model trained on MNIST hold up on real images: a random affine
/// transform (rotation, scale, slant, shift) of each image, and a thicker or thinner stroke for some of them.
/// </summary>
internal static class Augmentation
{
    private const double MaxRotation = 12 * Math.PI / 180;
    private const double MinScale = 0.85;
    private const double MaxScale = 1.15;
    private const double MaxShift = 0.12; // in [-1, 1] grid units: about 1.7 px on 28
    private const double MaxSlant = 0.3; // horizontal shear: about 17 degrees either way, as slanted handwriting and italic fonts lean
    private const double StrokeChangeProbability = 0.2;

    /// <summary>Returns an augmented copy of <paramref name="x"/> (<c>[B, 1, 28, 28]</c>, float in [0, 1]).</summary>
    public static Tensor Apply(Tensor x, Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0];
        var device = x.device;
        Tensor Uniform(double low, double high)
        {
            using Scalar width = (high - low).ToScalar(), offset = low.ToScalar();
            return torch.rand(b, generator: generator).mul_(width).add_(offset).to(device);
        }

        var angle = Uniform(-MaxRotation, MaxRotation);
        var scale = Uniform(MinScale, MaxScale);
        var cos = angle.cos().mul(scale);
        var sin = angle.sin().mul(scale);
        // Rotation and scale after a horizontal shear [[1, slant], [0, 1]].
        var slant = Uniform(-MaxSlant, MaxSlant);
        var theta = torch.stack([cos, cos.mul(slant).sub(sin), Uniform(-MaxShift, MaxShift), sin, sin.mul(slant).add(cos), Uniform(-MaxShift, MaxShift)], 1).view(b, 2, 3);
        var grid = F.affine_grid(theta, [b, 1, MnistFormat.ImageSize, MnistFormat.ImageSize], align_corners: false);
        var moved = F.grid_sample(x, grid, align_corners: false);

        var pick = torch.rand(b, generator: generator).to(device).view(b, 1, 1, 1);
        var thicker = F.max_pool2d(moved, 3, 1, 1);
        var thinner = -F.max_pool2d(-moved, 3, 1, 1);
        using Scalar low = StrokeChangeProbability.ToScalar(), high = (1 - StrokeChangeProbability).ToScalar();
        var result = torch.where(pick.lt(low), thicker, torch.where(pick.gt(high), thinner, moved));
        return result.MoveToOuterDisposeScope();
    }
}
