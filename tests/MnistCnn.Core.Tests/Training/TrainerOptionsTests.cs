using MnistCnn.Core.Training;
using Xunit;

namespace MnistCnn.Core.Tests;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class TrainerOptionsTests
{
    [Fact]
    public void Invalid_options_name_the_option()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new TrainerOptions { BatchSize = 0 }.Validate());
        Assert.Equal("BatchSize", ex.ParamName);
    }
}
