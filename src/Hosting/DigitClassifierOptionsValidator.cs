using Microsoft.Extensions.Options;
using MnistCnn.Core.Runtime;

namespace MnistCnn.Core.Hosting;

/// <summary>Checks <see cref="DigitClassifierOptions"/> when the host starts (<c>ValidateOnStart</c>), naming each bad option.</summary>
internal sealed class DigitClassifierOptionsValidator : IValidateOptions<DigitClassifierOptions>
{
    public ValidateOptionsResult Validate(string? name, DigitClassifierOptions options)
    {
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Backend))
        {
            failures.Add($"Backend '{options.Backend}' is not Onnx or Torch.");
        }
        if (!Enum.IsDefined(options.Device))
        {
            failures.Add($"Device '{options.Device}' is not Auto, Cpu, Cuda or Mps.");
        }
        else if (options.Backend == DigitClassifierBackend.Onnx && options.Device is not (ComputeDevice.Auto or ComputeDevice.Cpu))
        {
            failures.Add($"Device {options.Device} needs Backend Torch; the ONNX backend runs on the CPU.");
        }
        if (options.ModelPath is { } path && !File.Exists(path))
        {
            failures.Add($"ModelPath '{path}' does not exist; leave it empty for the embedded model.");
        }
        if (options.IntraOpThreads < 0)
        {
            failures.Add($"IntraOpThreads must be 0 (the backend's default) or more, not {options.IntraOpThreads}.");
        }
        if (options.Decoding is null)
        {
            failures.Add("Decoding must not be null.");
        }
        else
        {
            try
            {
                options.Decoding.Validate();
            }
            catch (ArgumentException ex)
            {
                failures.Add($"Decoding: {ex.Message}");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures.Select(f => "DigitClassifier: " + f));
    }
}
