#!/usr/bin/env bash
# The one command the GPU machine runs (see models/train/GPU_RUN.md):
#
#     bash models/train/gpu_job.sh "$OUT" [MINUTES]
#
# It reports the machine (nvidia-smi, Python, torch, CUDA, Triton), stops early with a
# summary.json that says why if there is no usable torch or GPU, trains with train_gpu.py
# for MINUTES (default 7.5, loading and export included), and packs the run into OUT with
# gpu_run.py: run.tar.part-NN (the best checkpoint in bfloat16, the Q8_0 GGUF, the logs),
# summary.json and job.log, at most 8 files of at most 16 MiB. The GGUF is loaded with
# llama.cpp there when llama.cpp is installed (else that check is skipped and done here by
# gpu_run.py collect). Whatever happens, the command ends within MINUTES + 2 minutes.
#
# From the environment (for a test on a CPU): CONFIG (default h200), SHARDS (default
# models/train/.shards), ALLOW_CPU=1 (train without CUDA), TRAIN_ARGS (more arguments),
# PART_BYTES (the size of the parts, 16,000,000).
set -u -o pipefail

OUT=${1:?usage: bash models/train/gpu_job.sh OUT_DIR [MINUTES]}
MINUTES=${2:-7.5}
CONFIG=${CONFIG:-h200}
cd "$(dirname "$0")/../.." || exit 1
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
SHARDS=${SHARDS:-models/train/.shards}
export PYTHONUNBUFFERED=1

fail() {  # a summary that says why nothing was trained
    printf '{"ok": false, "error": "%s"}\n' "$1" > "$OUT/summary.json"
    echo "FAILED: $1"
}

job() {
    echo "== $(date -u '+%F %T') UTC, $(nproc) CPUs, $(free -g | awk '/Mem:/{print $2}') GiB memory"
    nvidia-smi || echo "nvidia-smi: not available"

    PY=""
    for c in python3 python /usr/bin/python3 /usr/local/bin/python3 /opt/conda/bin/python; do
        if command -v "$c" > /dev/null 2>&1 && "$c" -c "import torch, numpy" > /dev/null 2>&1; then
            PY=$(command -v "$c")
            break
        fi
    done
    if [ -z "$PY" ]; then
        fail "no Python with torch and numpy on this machine"
        return 2
    fi
    echo "== $PY"
    if ! "$PY" - << 'EOF'; then
import os, sys
import numpy, torch
print("python", sys.version.split()[0], "| torch", torch.__version__, "| CUDA", torch.version.cuda,
      "| numpy", numpy.__version__)
ok = torch.cuda.is_available()
if ok:
    p = torch.cuda.get_device_properties(0)
    print("GPU:", p.name, f"{p.total_memory / 2**30:.0f} GiB", "| bf16:", torch.cuda.is_bf16_supported())
else:
    print("CUDA is not available to torch")
try:
    import triton
    print("triton", triton.__version__)
except Exception as e:
    print("triton: not available, torch.compile will fall back to eager:", e)
for name in ("llama_cpp", "gguf"):
    try:
        __import__(name)
        print(name, "installed")
    except Exception:
        print(name, "not installed")
sys.exit(0 if ok or os.environ.get("ALLOW_CPU") == "1" else 3)
EOF
        fail "torch has no CUDA device here"
        return 3
    fi

    if [ ! -f "$SHARDS/manifest.json" ]; then
        fail "no shards in $SHARDS: carry models/train/.shards"
        return 4
    fi
    RUN=$(mktemp -d "${TMPDIR:-/tmp}/infill-gpu-run.XXXXXX")
    # The gguf package (and PyYAML, which it imports), for the export, unless broken or absent.
    "$PY" -c "import io, lzma, sys, tarfile; tarfile.open(fileobj=io.BytesIO(lzma.decompress(open(sys.argv[1], 'rb').read()))).extractall(sys.argv[2])" \
        "$SHARDS/pylib.tar.xz" "$RUN/pylib" && export PYTHONPATH="$RUN/pylib${PYTHONPATH:+:$PYTHONPATH}"

    HARD=$("$PY" -c "import sys; print(int(float(sys.argv[1]) * 60 + 30))" "$MINUTES")
    echo "== training: config $CONFIG, $MINUTES minutes (killed after $HARD s)"
    # shellcheck disable=SC2086  # TRAIN_ARGS is a list of arguments
    timeout -k 10 "$HARD" "$PY" models/train/train_gpu.py --config "$CONFIG" --minutes "$MINUTES" \
        --shards "$SHARDS" --out "$RUN/out" ${TRAIN_ARGS:-}
    rc=$?
    echo "== training exited with $rc; packing"
    timeout -k 10 60 "$PY" models/train/gpu_run.py pack "$RUN/out" "$OUT" --train-rc "$rc" \
        --part-bytes "${PART_BYTES:-16000000}" || {
        fail "packing failed (training exited with $rc)"
        return 5
    }
    echo "== in $OUT:"
    ls -l "$OUT"
    echo "join with: cat run.tar.part-* > run.tar && tar xf run.tar   (or: python models/train/gpu_run.py collect DIR)"
    return "$rc"
}

job 2>&1 | tee "$OUT/job.log"
exit "${PIPESTATUS[0]}"
