using System.Globalization;

namespace MnistCnn.Samples;

/// <summary>A minimal <c>--name value</c> parser shared by the samples.</summary>
public sealed class SampleArgs
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);

    public SampleArgs(string[] args, IReadOnlySet<string> valued, IReadOnlySet<string> flags)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a == "--")
            {
                Positional.Add(a);
                continue;
            }
            if (flags.Contains(a))
            {
                _options[a] = null;
            }
            else if (valued.Contains(a))
            {
                if (i + 1 >= args.Length)
                {
                    throw new UsageException($"{a} needs a value.");
                }
                _options[a] = args[++i];
            }
            else
            {
                throw new UsageException($"unknown option '{a}'.");
            }
        }
    }

    public List<string> Positional { get; } = [];

    public bool Has(string name) => _options.ContainsKey(name);

    public string? Get(string name) => _options.GetValueOrDefault(name);

    public int GetInt(string name, int fallback, int min, int max)
    {
        if (Get(name) is not string text)
        {
            return fallback;
        }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            throw new UsageException($"{name} must be a whole number from {min} to {max}, not '{text}'.");
        }
        return value;
    }

    public double GetDouble(string name, double fallback)
    {
        if (Get(name) is not string text)
        {
            return fallback;
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value) || value <= 0)
        {
            throw new UsageException($"{name} must be a positive number, not '{text}'.");
        }
        return value;
    }
}
