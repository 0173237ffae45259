using MnistCnn.Core.Inference;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>
/// Disposing a classifier while other threads predict (a web app shutting down under load) waits for the running
/// predictions and refuses new ones; it never frees the native model under a running forward pass.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class ClassifierDisposalTests(ITestOutputHelper output)
{
    // Two images, and a batch large enough for the ONNX backend's pooled session (made on first use, under the disposal).
    private static readonly float[][] Batches = [new float[2 * 28 * 28], new float[300 * 28 * 28]];

    private void DisposeUnderLoad(Func<DigitClassifierBase> create)
    {
        int predictions = 0, refused = 0;
        for (int round = 0; round < 20; round++)
        {
            var classifier = create();
            using var started = new CountdownEvent(3);
            var errors = new List<Exception>();
            var threads = Enumerable.Range(0, 3).Select(i => new Thread(() =>
            {
                started.Signal();
                try
                {
                    while (true)
                    {
                        classifier.PredictBatch(Batches[i == 0 ? 1 : 0]);
                        Interlocked.Increment(ref predictions);
                    }
                }
                catch (ObjectDisposedException)
                {
                    Interlocked.Increment(ref refused);
                }
                catch (Exception ex)
                {
                    lock (errors)
                    {
                        errors.Add(ex);
                    }
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            started.Wait(TestContext.Current.CancellationToken);
            Thread.Sleep(round % 5);
            classifier.Dispose();
            threads.ForEach(t => t.Join());
            Assert.Empty(errors);
        }
        output.WriteLine($"{predictions} predictions, {refused} refused after disposal");
        Assert.Equal(60, refused);
    }

    [Fact]
    public void Disposing_a_torch_classifier_under_load_waits_for_running_predictions() =>
        DisposeUnderLoad(() => DigitClassifier.LoadPretrained(device: Runtime.ComputeDevice.Cpu));

    [Fact]
    public void Disposing_an_onnx_classifier_under_load_waits_for_running_predictions() =>
        DisposeUnderLoad(() => OnnxDigitClassifier.LoadPretrained());
}
