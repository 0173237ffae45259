#!/usr/bin/env bash
# A/B of a Trainer epoch (tutorial settings, CPU, seed 1): this working tree against an earlier commit, both built
# with the same EpochTimer and alternated process by process in one run, so the machine's drift hits both alike.
# usage: tests/MnistCnn.Core.EpochTimer/ab-epoch.sh [BASE_COMMIT (1d5b2dc: main before #14)] [ROUNDS (3)] [EPOCHS (1)]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(git -C "$here" rev-parse --show-toplevel)
base=${1:-1d5b2dc}
rounds=${2:-3}
epochs=${3:-1}
data="$root/data/mnist"
if [ ! -f "$data/train-images-idx3-ubyte" ]; then
  echo "no MNIST in $data: run the benchmarks once (dotnet run -c Release --project tests/MnistCnn.Core.Benchmarks -- profile) or the Train sample, which fetch it" >&2
  exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/base"
git -C "$root" archive "$base" | tar -x -C "$work/base"
mkdir -p "$work/base/tests/MnistCnn.Core.EpochTimer"
cp "$here/Program.cs" "$here/MnistCnn.Core.EpochTimer.csproj" "$work/base/tests/MnistCnn.Core.EpochTimer/"
if [ ! -f "$work/base/Directory.Packages.props" ]; then
  # A base from before central package versions names each version in the project file.
  sed -i 's|<PackageReference Include="TorchSharp-cpu" />|<PackageReference Include="TorchSharp-cpu" Version="$(TorchSharpVersion)" />|' "$work/base/tests/MnistCnn.Core.EpochTimer/MnistCnn.Core.EpochTimer.csproj"
fi
echo "building $base and the working tree ($(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD || echo ', with uncommitted changes'))" >&2
dotnet build -c Release -v q -nologo "$work/base/tests/MnistCnn.Core.EpochTimer" -o "$work/base-bin" >&2
dotnet build -c Release -v q -nologo "$here" -o "$work/head-bin" >&2

declare -A times
for ((r = 1; r <= rounds; r++)); do
  for side in base head; do
    while read -r _ epoch seconds accuracy; do
      echo "round $r, $side ($([ $side = base ] && echo "$base" || echo 'working tree')), epoch $epoch: $seconds s, test accuracy $accuracy"
      times[$side]+="$seconds "
    done < <(dotnet "$work/$side-bin/MnistCnn.Core.EpochTimer.dll" "$data" "$epochs" | grep '^EPOCH')
  done
done

python3 - "${times[base]}" "${times[head]}" "$base" <<'PY'
import statistics, sys
base = [float(t) for t in sys.argv[1].split()]
head = [float(t) for t in sys.argv[2].split()]
print(f"{sys.argv[3]}: median {statistics.median(base):.2f} s, best {min(base):.2f} s ({len(base)} epochs)")
print(f"working tree: median {statistics.median(head):.2f} s, best {min(head):.2f} s ({len(head)} epochs)")
print(f"speed-up: {statistics.median(base) / statistics.median(head):.2f}x by medians, {min(base) / min(head):.2f}x by best epochs")
PY
