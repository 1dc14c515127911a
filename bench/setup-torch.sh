#!/usr/bin/env bash
# Installs the PyTorch peer of `pnpm bench --torch` from Debian's packages:
# PyTorch 1.13 (python3-torch) and a fast BLAS for it (libopenblas0-pthread).
# Benchmarks only — tests never need it.
set -euo pipefail
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y python3-torch libopenblas0-pthread
/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)'
