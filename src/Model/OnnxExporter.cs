using System.Runtime.InteropServices;
using Google.Protobuf;
using MnistCnn.Core.Data;
using Onnx;
using static TorchSharp.torch;

namespace MnistCnn.Core.Model;

/// <summary>
/// Writes the tutorial's graph as ONNX (opset 13): Conv 3x3 pad 1 → MaxPool 2 → Relu, three times; Flatten in
/// PyTorch's [C, H, W] order; Gemm 576→256; Gemm 256→10. Input <c>input</c> float <c>[N, 1, 28, 28]</c> with a dynamic
/// batch dimension, output <c>logits</c> <c>[N, 10]</c>. The initializers carry the state_dict names. The reader's
/// <see cref="DigitPairModule"/> is the same graph over a wider input, with a Relu between the Gemms.
/// </summary>
internal static class OnnxExporter
{
    public const string InputName = "input";
    public const string OutputName = "logits";
    public const string BatchDimension = "batch";
    public const int Opset = 13;

    // Opset 13 came with IR version 7; ONNX Runtime reads any model whose IR version is at most its own.
    private const long IrVersion = 7;

    /// <summary>The digit model's graph.</summary>
    public static ModelProto Build(IReadOnlyDictionary<string, Tensor> weights) => Build(weights, Network.Digits);

    public static ModelProto Build(IReadOnlyDictionary<string, Tensor> weights, Network network)
    {
        var graph = new GraphProto { Name = network.GraphName };
        foreach (string name in MnistCnnModule.ParameterNames)
        {
            graph.Initializer.Add(ToTensorProto(name, weights[name]));
        }
        graph.Input.Add(FloatTensor(InputName, Batch(), Fixed(1), Fixed(MnistFormat.ImageSize), Fixed(network.Width)));
        graph.Output.Add(FloatTensor(OutputName, Batch(), Fixed(network.Classes)));

        string x = InputName;
        for (int block = 1; block <= 3; block++)
        {
            string conv = $"conv{block}";
            graph.Node.Add(Node("Conv", [x, $"{conv}.weight", $"{conv}.bias"], $"{conv}_out",
                Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1), Ints("strides", 1, 1)));
            graph.Node.Add(Node("MaxPool", [$"{conv}_out"], $"maxpool{block}_out", Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)));
            graph.Node.Add(Node("Relu", [$"maxpool{block}_out"], $"relu{block}_out"));
            x = $"relu{block}_out";
        }
        graph.Node.Add(Node("Flatten", [x], "flat", Int("axis", 1)));
        graph.Node.Add(Node("Gemm", ["flat", "fc1.weight", "fc1.bias"], "fc1_out", Int("transB", 1)));
        string hidden = "fc1_out";
        if (network.ReluBetweenLinear)
        {
            graph.Node.Add(Node("Relu", [hidden], "relu4_out"));
            hidden = "relu4_out";
        }
        graph.Node.Add(Node("Gemm", [hidden, "fc2.weight", "fc2.bias"], OutputName, Int("transB", 1)));

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "MnistCnn.Core",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }

    /// <summary>What differs between the two networks: the input width, the classes, and a Relu between the linear layers.</summary>
    public sealed record Network(string GraphName, int Width, int Classes, bool ReluBetweenLinear)
    {
        public static Network Digits { get; } = new("MnistCnn", MnistFormat.ImageSize, MnistFormat.ClassCount, ReluBetweenLinear: false);

        public static Network Pairs { get; } = new("DigitPairs", DigitPairModule.Width, DigitPairModule.Classes, ReluBetweenLinear: true);
    }

    private static TensorProto ToTensorProto(string name, Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var contiguous = tensor.detach().cpu().to(ScalarType.Float32).contiguous();
        var proto = new TensorProto
        {
            Name = name,
            DataType = (int)TensorProto.Types.DataType.Float,
            RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(contiguous.data<float>().ToArray().AsSpan())),
        };
        proto.Dims.AddRange(contiguous.shape);
        return proto;
    }

    private static TensorShapeProto.Types.Dimension Batch() => new() { DimParam = BatchDimension };

    private static TensorShapeProto.Types.Dimension Fixed(long size) => new() { DimValue = size };

    private static ValueInfoProto FloatTensor(string name, params TensorShapeProto.Types.Dimension[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims);
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static NodeProto Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = output.Replace("_out", "", StringComparison.Ordinal) };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };
}
