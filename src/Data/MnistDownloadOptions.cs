namespace MnistCnn.Core.Data;

/// <summary>Where and how <see cref="MnistDataset.DownloadAsync"/> fetches MNIST.</summary>
public sealed class MnistDownloadOptions
{
    /// <summary>The mirrors torchvision uses, tried in order.</summary>
    public static IReadOnlyList<Uri> DefaultMirrors { get; } =
    [
        new("https://ossci-datasets.s3.amazonaws.com/mnist/"),
        new("http://yann.lecun.com/exdb/mnist/"),
    ];

    /// <summary>Base addresses tried in order for each file; the file name plus <c>.gz</c> is appended. Defaults to <see cref="DefaultMirrors"/>.</summary>
    public IList<Uri> Mirrors { get; init; } = [.. DefaultMirrors];

    /// <summary>Time allowed for one file from one mirror before the next mirror is tried. Default 2 minutes.</summary>
    public TimeSpan TimeoutPerFile { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The client to use; by default a new one is created and disposed.</summary>
    public HttpClient? HttpClient { get; init; }

    internal void Validate()
    {
        if (Mirrors is null || Mirrors.Count == 0)
        {
            throw new ArgumentException("At least one mirror is required.", nameof(Mirrors));
        }
        foreach (var mirror in Mirrors)
        {
            if (mirror is null || !mirror.IsAbsoluteUri || (mirror.Scheme != Uri.UriSchemeHttp && mirror.Scheme != Uri.UriSchemeHttps))
            {
                throw new ArgumentException($"Mirror '{mirror}' is not an absolute http or https address.", nameof(Mirrors));
            }
        }
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(TimeoutPerFile, TimeSpan.Zero, nameof(TimeoutPerFile));
    }
}
