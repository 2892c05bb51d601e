#!/bin/bash
# Installs what corey needs to build and test on Debian 12 (run as root). The CUDA Toolkit is optional and
# comes from NVIDIA's packages; without nvcc the CPU backend is built.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  build-essential cmake ninja-build ccache git ca-certificates \
  libcli11-dev nlohmann-json3-dev libyaml-cpp-dev libeigen3-dev catch2 \
  python3 python3-numpy >/dev/null
