using Microsoft.AspNetCore.Http.Features;
using MnistCnn.Core.Hosting;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;
using MnistCnn.Core.Reading;
using MnistCnn.Samples;
using SixLabors.ImageSharp;

// Draw-a-digit (or a number) page, JSON APIs for one digit (/api/predict) and a whole number (/api/read), and /health,
// over the IDigitClassifier and DigitReader that AddDigitClassifier registers.
// --backend onnx (the default: ONNX Runtime, no libtorch) or torch; --model FILE (ONNX for onnx; TorchSharp weights
// or a .pth for torch); listens on http://127.0.0.1:5000 unless --urls says otherwise.
const long MaxUploadBytes = 5 << 20;

// The page is served from the app's own folder, wherever it is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5000");
}
// Kestrel's hard limit is well above ours, so an oversized upload is read past our limit, drained, and answered with a 400.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 8 * MaxUploadBytes);
builder.Services.Configure<FormOptions>(form => form.MultipartBodyLengthLimit = 2 * MaxUploadBytes);
builder.Services.AddProblemDetails();
builder.Services.AddDigitClassifier(options =>
{
    options.Backend = builder.Configuration["backend"]?.ToLowerInvariant() switch
    {
        null or "" or "onnx" => DigitClassifierBackend.Onnx,
        "torch" => DigitClassifierBackend.Torch,
        var other => throw new ArgumentException($"--backend must be onnx or torch, not '{other}'."),
    };
    options.ModelPath = builder.Configuration["model"] is { Length: > 0 } model ? model : null;
    // One request is one image: one intra-op thread answers faster and steadier, and concurrent requests use the other cores.
    options.IntraOpThreads = 1;
    options.Decoding = new ImageDecodingOptions { MaxEncodedBytes = MaxUploadBytes };
});
builder.Services.AddHealthChecks().AddDigitClassifier();

var app = builder.Build();
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapHealthChecks("/health");

app.MapPost("/api/predict", async (HttpRequest request, IDigitClassifier classifier, CancellationToken cancellationToken) =>
    await AnswerAsync(request, "one digit", async upload =>
    {
        var prediction = await classifier.PredictAsync(upload, cancellationToken);
        using var seen = prediction.Input!.ToImage();
        return Results.Json(new
        {
            digit = prediction.Digit,
            confidence = prediction.Confidence,
            probabilities = prediction.Probabilities,
            seen = seen.ToBase64String(SixLabors.ImageSharp.Formats.Png.PngFormat.Instance), // a data: URI
        });
    }, cancellationToken)).DisableAntiforgery();

// ?digits=N (or MIN-MAX) when the number's length is known (a postcode, a meter): the likeliest reading of that length.
app.MapPost("/api/read", async (HttpRequest request, DigitReader reader, string? digits, CancellationToken cancellationToken) =>
{
    ReadOptions? options;
    try
    {
        options = digits is null ? null : DigitCounts.Parse(digits);
    }
    catch (FormatException ex)
    {
        return Problem("Bad digit count", ex.Message);
    }
    return await AnswerAsync(request, "one line of digits", async upload =>
    {
        var reading = await reader.ReadAsync(upload, options, cancellationToken);
        return Results.Json(new
        {
            number = reading.Text,
            confidence = reading.Confidence,
            digits = reading.Digits.Select(d => new
            {
                digit = d.Digit,
                confidence = d.Confidence,
                box = new { x = d.Bounds.X, y = d.Bounds.Y, width = d.Bounds.Width, height = d.Bounds.Height },
            }),
        });
    }, cancellationToken);
}).DisableAntiforgery();

await app.RunAsync();

static IResult Problem(string title, string detail) => Results.Problem(title: title, detail: detail, statusCode: StatusCodes.Status400BadRequest);

// An upload's answer, or a 400 problem that says what was wrong with it.
static async Task<IResult> AnswerAsync(HttpRequest request, string what, Func<Stream, Task<IResult>> answer, CancellationToken cancellationToken)
{
    try
    {
        var upload = await OpenUploadAsync(request, cancellationToken);
        if (upload is null)
        {
            return Problem("Empty upload", $"Send a PNG or JPEG image of {what}, as the request body or as a form file named 'image'.");
        }
        return await answer(upload);
    }
    catch (DigitImageException ex)
    {
        return Problem(ex.Error switch
        {
            DigitImageError.NoDigit => "No digit found",
            DigitImageError.TooLarge => "Upload too large",
            _ => "Not a usable image",
        }, ex.Message);
    }
    catch (Exception ex) when (ex is BadHttpRequestException or InvalidDataException or IOException)
    {
        return Problem("Unreadable upload", $"The request body could not be read ({ex.Message}). Send one PNG or JPEG under {MaxUploadBytes >> 20} MB.");
    }
}

// The form file named "image" (or the first one), else the request body itself; null when the form holds no file.
static async Task<Stream?> OpenUploadAsync(HttpRequest request, CancellationToken cancellationToken)
{
    if (!request.HasFormContentType)
    {
        return request.Body;
    }
    var form = await request.ReadFormAsync(cancellationToken);
    var file = form.Files["image"] ?? (form.Files.Count > 0 ? form.Files[0] : null);
    return file?.OpenReadStream();
}
