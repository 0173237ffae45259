using System.Globalization;
using System.Text;
using System.Text.Json;
using MnistCnn.Core.Data;
using MnistCnn.Core.Inference;
using MnistCnn.Core.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace MnistCnn.Samples;

/// <summary>What the training sample writes next to the saved model: metrics as CSV and JSON, and PNG pictures.</summary>
internal static class TrainingReport
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static IReadOnlyList<string> WriteMetrics(string modelPath, TrainingResult result)
    {
        string csvPath = Sibling(modelPath, ".metrics.csv"), jsonPath = Sibling(modelPath, ".metrics.json");
        var csv = new StringBuilder("epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_second\n");
        foreach (var m in result.History)
        {
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{m.Epoch},{m.TrainLoss:R},{m.TrainAccuracy:R},{m.TestLoss:R},{m.TestAccuracy:R},{m.Duration.TotalSeconds:F3},{m.ImagesPerSecond:F0}"));
        }
        File.WriteAllText(csvPath, csv.ToString());
        var json = new
        {
            bestEpoch = result.BestEpoch?.Epoch,
            bestTestAccuracy = result.BestTestAccuracy,
            stopReason = result.StopReason,
            cancelled = result.Cancelled,
            totalSeconds = result.Duration.TotalSeconds,
            epochs = result.History.Select(m => new
            {
                epoch = m.Epoch,
                trainLoss = m.TrainLoss,
                trainAccuracy = m.TrainAccuracy,
                testLoss = m.TestLoss,
                testAccuracy = m.TestAccuracy,
                seconds = m.Duration.TotalSeconds,
                imagesPerSecond = m.ImagesPerSecond,
            }),
        };
        File.WriteAllText(jsonPath, JsonSerializer.Serialize(json, Indented));
        return [csvPath, jsonPath];
    }

    public static IReadOnlyList<string> WritePictures(string modelPath, TrainingResult result, IDigitClassifier classifier, MnistDataset testSet)
    {
        var evaluation = classifier.Evaluate(testSet);
        string curves = Sibling(modelPath, ".curves.png"), confusion = Sibling(modelPath, ".confusion.png"), errors = Sibling(modelPath, ".errors.png");
        SaveCurves(result.History, curves);
        SaveConfusion(evaluation, confusion);
        SaveErrors(evaluation, testSet, errors);
        return [curves, confusion, errors];
    }

    private static void SaveCurves(IReadOnlyList<EpochMetrics> history, string path)
    {
        double[] epochs = history.Select(m => (double)m.Epoch).ToArray();
        using var loss = new ScottPlot.Plot();
        loss.Add.Scatter(epochs, history.Select(m => m.TrainLoss).ToArray()).LegendText = "train";
        loss.Add.Scatter(epochs, history.Select(m => m.TestLoss).ToArray()).LegendText = "test";
        loss.Title("Loss per epoch");
        loss.XLabel("epoch");
        loss.YLabel("cross-entropy");
        loss.ShowLegend();
        loss.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1);

        using var accuracy = new ScottPlot.Plot();
        accuracy.Add.Scatter(epochs, history.Select(m => m.TrainAccuracy * 100).ToArray()).LegendText = "train";
        accuracy.Add.Scatter(epochs, history.Select(m => m.TestAccuracy * 100).ToArray()).LegendText = "test";
        accuracy.Title("Accuracy per epoch");
        accuracy.XLabel("epoch");
        accuracy.YLabel("accuracy (%)");
        accuracy.ShowLegend();
        accuracy.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1);

        using var left = Image.Load<Rgba32>(loss.GetImageBytes(600, 420, ScottPlot.ImageFormat.Png));
        using var right = Image.Load<Rgba32>(accuracy.GetImageBytes(600, 420, ScottPlot.ImageFormat.Png));
        using var both = new Image<Rgba32>(1200, 420, Color.White);
        both.Mutate(c => c.DrawImage(left, new Point(0, 0), 1f).DrawImage(right, new Point(600, 0), 1f));
        both.SaveAsPng(path);
    }

    private static void SaveConfusion(DigitEvaluation evaluation, string path)
    {
        const int digits = MnistFormat.ClassCount;
        using var plot = new ScottPlot.Plot();
        // Log scale keeps the few errors visible next to the ~1,000 correct answers per digit.
        var shades = new double[digits, digits];
        for (int t = 0; t < digits; t++)
        {
            for (int p = 0; p < digits; p++)
            {
                int count = evaluation.Confusion(t, p);
                shades[t, p] = 4 - Math.Log10(1 + count); // Blues runs dark to light; row 0 is drawn at the top
                var text = plot.Add.Text(count.ToString(CultureInfo.InvariantCulture), p, digits - 1 - t);
                text.Alignment = ScottPlot.Alignment.MiddleCenter;
                text.LabelFontSize = 13;
                text.LabelFontColor = count > 200 ? ScottPlot.Colors.White : ScottPlot.Colors.Black;
            }
        }
        var heatmap = plot.Add.Heatmap(shades);
        heatmap.Colormap = new ScottPlot.Colormaps.Blues();
        plot.MoveToBack(heatmap);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, digits).Select(i => (double)i).ToArray(), Enumerable.Range(0, digits).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.Left.SetTicks(Enumerable.Range(0, digits).Select(i => (double)i).ToArray(), Enumerable.Range(0, digits).Select(i => (digits - 1 - i).ToString(CultureInfo.InvariantCulture)).ToArray());
        plot.XLabel("predicted digit");
        plot.YLabel("true digit");
        plot.Title($"Confusion matrix ({evaluation.Count} test images, {evaluation.Misclassified.Count} wrong)");
        plot.SavePng(path, 640, 600);
    }

    private static void SaveErrors(DigitEvaluation evaluation, MnistDataset testSet, string path)
    {
        var wrong = evaluation.Misclassified.Take(100).ToList();
        const int columns = 10, tile = 84, caption = 22;
        int rows = Math.Max(1, (wrong.Count + columns - 1) / columns);
        using var plot = new ScottPlot.Plot();
        using var grid = new Image<Rgba32>(columns * tile, rows * (tile + caption), Color.White);
        for (int k = 0; k < wrong.Count; k++)
        {
            int i = wrong[k];
            // Dark ink on white, as a person writes it.
            byte[] pixels = testSet.GetPixels(i);
            using var digit = Image.LoadPixelData<L8>(pixels.Select(p => (byte)(byte.MaxValue - p)).ToArray(), MnistFormat.ImageSize, MnistFormat.ImageSize);
            digit.Mutate(c => c.Resize(tile, tile, KnownResamplers.NearestNeighbor));
            using var rgba = digit.CloneAs<Rgba32>();
            grid.Mutate(c => c.DrawImage(rgba, new Point((k % columns) * tile, (k / columns) * (tile + caption)), 1f));
        }

        // Captions drawn by ScottPlot (ImageSharp alone has no text), laid over the grid in pixel coordinates.
        using var picture = new ScottPlot.Image(ToPng(grid));
        plot.Add.ImageRect(picture, new ScottPlot.CoordinateRect(0, grid.Width, 0, grid.Height));
        for (int k = 0; k < wrong.Count; k++)
        {
            var text = plot.Add.Text($"true {evaluation.LabelOf(wrong[k])} · said {evaluation.Predictions[wrong[k]].Digit}", ((k % columns) * tile) + (tile / 2.0), grid.Height - (((k / columns) * (tile + caption)) + tile + (caption / 2.0)));
            text.Alignment = ScottPlot.Alignment.MiddleCenter;
            text.LabelFontSize = 11;
            text.LabelFontColor = ScottPlot.Colors.DarkRed;
        }
        plot.Axes.SetLimits(0, grid.Width, 0, grid.Height);
        plot.Layout.Frameless();
        plot.SavePng(path, grid.Width, grid.Height);
    }

    private static byte[] ToPng(Image image)
    {
        using var ms = new MemoryStream();
        image.SaveAsPng(ms);
        return ms.ToArray();
    }

    private static string Sibling(string modelPath, string suffix) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, Path.GetFileNameWithoutExtension(modelPath) + suffix);
}
