using System.Runtime.ExceptionServices;
using MnistCnn.Core.Imaging;
using SixLabors.ImageSharp;

namespace MnistCnn.Core.Reading;

/// <summary>
/// A line's candidates cut out of the ink and normalised for the digit model and, where they may hold two digits, for
/// the pair model: by as many threads as call <see cref="Make"/> at once (the reader's caller and, where a core is
/// spare, a second thread), each taking the next candidate in turn. Each candidate's result is written by the one
/// thread that took it, and read only after <see cref="WaitAll"/>.
/// </summary>
internal sealed class CandidateInputs
{
    private readonly InkComponents _components;
    private readonly List<Primitive> _pieces;
    private readonly int _lineHeight;
    private readonly bool _pairInputs;
    private readonly List<(int From, int To)> _spans;
    private readonly Made?[] _made;
    private int _next = -1;
    private int _done;
    private Exception? _failure;

    /// <summary>The candidates over <paramref name="spans"/> of <paramref name="pieces"/>, with the pair model's inputs where <paramref name="pairInputs"/>.</summary>
    public CandidateInputs(InkComponents components, List<Primitive> pieces, int lineHeight, List<(int From, int To)> spans, bool pairInputs)
    {
        (_components, _pieces, _lineHeight, _spans, _pairInputs) = (components, pieces, lineHeight, spans, pairInputs);
        _made = new Made?[spans.Count];
    }

    /// <summary>Makes candidates until none is left to take.</summary>
    public void Make()
    {
        for (int i; (i = Interlocked.Increment(ref _next)) < _spans.Count;)
        {
            try
            {
                _made[i] = MakeOne(_spans[i].From, _spans[i].To);
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref _failure, ex, null);
            }
            finally
            {
                Interlocked.Increment(ref _done);
            }
        }
    }

    /// <summary>
    /// Waits until every candidate is made (by then no thread is making one: each waits for at most the one candidate
    /// that another thread has taken), and throws the first failure, if any; then the candidates, in the order of the
    /// spans, without those whose pieces hold no ink of their own.
    /// </summary>
    public List<Made> WaitAll()
    {
        var spin = default(SpinWait);
        while (Volatile.Read(ref _done) < _spans.Count)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
        if (Volatile.Read(ref _failure) is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
        return [.. _made.OfType<Made>()];
    }

    private Made? MakeOne(int from, int to)
    {
        if (DigitReader.Crop(_components, _pieces, from, to) is not { } cropped)
        {
            return null;
        }
        var (crop, box) = cropped;
        var thick = StrokeWidth.ThickenThin(crop);
        float[]? pairInput = null;
        if (_pairInputs && DigitReader.MayHoldTwo(_pieces, from, to, box, _lineHeight))
        {
            pairInput = new float[PairInput.Pixels];
            PairInput.NormalizeThickened(thick, pairInput);
        }
        return new Made(from, to, crop, box, DigitImagePreprocessor.NormalizeThickened(thick), pairInput);
    }

    /// <summary>One candidate: its pieces, ink and box, the digit model's input, and the pair model's where it may hold two digits.</summary>
    internal readonly record struct Made(int From, int To, GrayImage Crop, Rectangle Box, PreprocessedDigit Input, float[]? PairInput);
}
