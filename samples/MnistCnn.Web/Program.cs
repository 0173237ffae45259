using Microsoft.AspNetCore.Http.Features;
using MnistCnn.Core.Imaging;
using MnistCnn.Core.Inference;
using SixLabors.ImageSharp;

// Draw-a-digit page and a JSON prediction API over the embedded model (or --model FILE: TorchSharp weights or a .pth).
// Listens on http://127.0.0.1:5000 unless --urls says otherwise.
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
builder.Services.AddSingleton(_ => builder.Configuration["model"] is { Length: > 0 } model
    ? DigitClassifier.FromFile(model)
    : DigitClassifier.LoadPretrained());

var app = builder.Build();

// Load the model (and TorchSharp) now, not on the first request. Each request is one image: with one intra-op thread a
// single prediction is faster and steadier (forward ~200 µs instead of 290-450 µs on 2 cores), and concurrent requests
// use the other cores. Batch prediction and training want all cores; this is a choice for this app, not the library.
_ = app.Services.GetRequiredService<DigitClassifier>();
TorchSharp.torch.set_num_threads(1);

app.UseDefaultFiles();
app.UseStaticFiles();

app.MapPost("/api/predict", async (HttpRequest request, DigitClassifier classifier, CancellationToken cancellationToken) =>
{
    byte[]? upload;
    try
    {
        upload = await ReadUploadAsync(request, cancellationToken);
    }
    catch (Exception ex) when (ex is BadHttpRequestException or InvalidDataException or IOException)
    {
        return Problem("Unreadable upload", $"The request body could not be read ({ex.Message}). Send one PNG or JPEG under {MaxUploadBytes / (1 << 20)} MB.");
    }
    if (upload is null or { Length: 0 })
    {
        return Problem("Empty upload", "Send a PNG or JPEG image of one digit, as the request body or as a form file named 'image'.");
    }
    if (upload.Length > MaxUploadBytes)
    {
        return Problem("Upload too large", $"The image is over {MaxUploadBytes / (1 << 20)} MB; send a smaller one.");
    }
    try
    {
        var digit = classifier.Preprocessor.Process(upload, "upload");
        var prediction = classifier.Predict(digit);
        using var seen = digit.ToImage();
        return Results.Json(new
        {
            digit = prediction.Digit,
            confidence = prediction.Confidence,
            probabilities = prediction.Probabilities,
            seen = seen.ToBase64String(SixLabors.ImageSharp.Formats.Png.PngFormat.Instance), // a data: URI
        });
    }
    catch (DigitImageException ex)
    {
        return Problem(ex.Error switch
        {
            DigitImageError.NoDigit => "No digit found",
            DigitImageError.TooLarge => "Image too large",
            _ => "Not a usable image",
        }, ex.Message);
    }
}).DisableAntiforgery();

app.Run();

static IResult Problem(string title, string detail) => Results.Problem(title: title, detail: detail, statusCode: StatusCodes.Status400BadRequest);

static async Task<byte[]?> ReadUploadAsync(HttpRequest request, CancellationToken cancellationToken)
{
    Stream source;
    if (request.HasFormContentType)
    {
        var form = await request.ReadFormAsync(cancellationToken);
        var file = form.Files["image"] ?? (form.Files.Count > 0 ? form.Files[0] : null);
        if (file is null)
        {
            return null;
        }
        source = file.OpenReadStream();
    }
    else
    {
        source = request.Body;
    }
    await using (source)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await source.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > MaxUploadBytes)
            {
                break; // enough to know it is too large
            }
        }
        return buffer.ToArray();
    }
}
