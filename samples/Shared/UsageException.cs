namespace MnistCnn.Samples;

/// <summary>A bad command line; its message is printed as one line on stderr.</summary>
public sealed class UsageException(string message) : Exception(message);
