#!/usr/bin/env bash
# The MLP's throughput, Gradflow against PyTorch, in one run (bench/results/mlp.txt): examples per
# second at batch sizes 1, 32 and 256 of the mlp with 16 inputs, hidden [32, 16] (the issue's
# model) and 64 inputs, hidden [256, 128], by the single-example backward passes summed
# (java_single, the bit reference), Gradflow's plain Java path as the trainer runs it (java:
# JavaDenseBackward's batched pass, bit-identical), the same on packed weights (java_packed,
# bit-identical), ND4J's dense backward pass (nd4j), and a hand-written PyTorch loop
# (bench/mlp_loop.py, Debian's python3-torch) on the same data. Everything on one thread: OMP_NUM_THREADS=1 for ND4J's OpenBLAS and OpenMP,
# torch.set_num_threads(1) in PyTorch. Medians of ROUNDS passes after a warm-up.
#
# Usage, from anywhere (holds the build lock from the build to the end of the timing, so that no
# build on the machine's other core disturbs it and no other install replaces the operators jar
# in ~/.m2 between this build and its timing):
#   bench/run-mlp.sh [small examples] [large examples] [rounds]      (100000 8000 5)
# Ends with one line:
#   RESULT java_vs_pytorch_256=<x> nd4j_vs_pytorch_256=<x> single_vs_pytorch_256=<x>
#     large_java_vs_pytorch_256=<x> large_nd4j_vs_pytorch_256=<x> large_single_vs_pytorch_256=<x>
# (examples/s over PyTorch's at batch 256: the first three for [32, 16], large_ for [256, 128]).
set -euo pipefail
lock=/tmp/gradflow-build.lock
if [ -z "${GRADFLOW_MLP_LOCKED:-}" ]; then
  GRADFLOW_MLP_LOCKED=1 exec flock "$lock" "$0" "$@"
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
small="${1:-100000}"
large="${2:-8000}"
rounds="${3:-5}"
data="$root/bench/target/mlp-data"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
./mvnw -q -o -DskipTests -pl bench -am install
./mvnw -q -o -pl bench dependency:build-classpath \
  -Dmdep.outputFile="$root/bench/target/classpath.txt"
{
  echo "# $(date -u +%Y-%m-%d), $(nproc --all) cores, load average $(cut -d' ' -f1 /proc/loadavg) at start;"
  echo "# one thread each (OMP_NUM_THREADS=1, torch.set_num_threads(1)); $small examples ([32, 16]),"
  echo "# $large examples ([256, 128]); medians of $rounds passes after a warm-up"
  echo "# bench/run-mlp.sh $small $large $rounds"
} | tee "$out"
export OMP_NUM_THREADS=1
{
  java -Xmx4g -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
    io.gradflow.bench.MlpThroughput "$data" "$small" "$large" "$rounds" 2>bench/target/mlp-java.log
  /usr/bin/python3 bench/mlp_loop.py "$data" "$rounds"
} | tee -a "$out"
/usr/bin/python3 - "$out" <<'PY' | tee -a "$out"
import re, sys
rate = {}
for line in open(sys.argv[1]):
    m = re.match(r"(gradflow (\w+)|pytorch \S+) mlp (\d+) inputs .*batch (\d+): (\d+) examples/s", line)
    if m:
        rate[(m.group(2) or "pytorch", int(m.group(3)), int(m.group(4)))] = float(m.group(5))
def ratio(path, inputs):
    return "%.2f" % (rate[(path, inputs, 256)] / rate[("pytorch", inputs, 256)])
print("RESULT java_vs_pytorch_256=%s nd4j_vs_pytorch_256=%s single_vs_pytorch_256=%s"
      " large_java_vs_pytorch_256=%s large_nd4j_vs_pytorch_256=%s"
      " large_single_vs_pytorch_256=%s"
      % (ratio("java", 16), ratio("nd4j", 16), ratio("java_single", 16), ratio("java", 64),
         ratio("nd4j", 64), ratio("java_single", 64)))
PY
cp "$out" bench/results/mlp.txt
