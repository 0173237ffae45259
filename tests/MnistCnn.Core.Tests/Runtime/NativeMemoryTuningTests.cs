using MnistCnn.Core.Runtime;
using Xunit;

namespace MnistCnn.Core.Tests;

/// <summary>The malloc tuning changes the whole process, so it runs only when the application asks for it.</summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class NativeMemoryTuningTests
{
    [Fact]
    public void Malloc_tuning_is_applied_only_when_the_app_sets_the_switch_and_the_environment_allows_it()
    {
        Assert.Null(Environment.GetEnvironmentVariable(NativeMemoryTuning.OptOutVariable));
        bool had = AppContext.TryGetSwitch(NativeMemoryTuning.Switch, out bool before);
        try
        {
            AppContext.SetSwitch(NativeMemoryTuning.Switch, false);
            Assert.False(NativeMemoryTuning.Requested);
            AppContext.SetSwitch(NativeMemoryTuning.Switch, true);
            Assert.True(NativeMemoryTuning.Requested);
        }
        finally
        {
            AppContext.SetSwitch(NativeMemoryTuning.Switch, had && before);
        }
    }

    [Fact]
    public void The_test_host_asks_for_it_as_the_samples_do()
    {
        Assert.True(AppContext.TryGetSwitch(NativeMemoryTuning.Switch, out bool on) && on, "the tests' project sets MnistCnn.Core.TuneNativeMemory");
    }
}
