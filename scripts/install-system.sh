#!/usr/bin/env bash
# Installs the system parts the tests need, from Debian, when they are missing:
# Chromium (e2e, and its SwiftShader Vulkan driver) and Mesa's lavapipe from bookworm-backports
# (a CPU Vulkan driver 2.5-7x faster than SwiftShader under Dawn; Debian 12's own Mesa is too old),
# Debian's PyTorch for /usr/bin/python3 (the PyTorch export and interop tests run it), Debian's
# Fashion-MNIST (a real dataset in MNIST's format that Kiln does not ship, for the user-dataset tests)
# and Debian's dict-jargon (the Jargon File, public domain: the text `--dataset text` trains on by default).
set -euo pipefail
need_chromium=0; need_lavapipe=0; need_torch=0; need_fashion=0; need_jargon=0
[ -x /usr/bin/chromium ] || need_chromium=1
/usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1 || need_torch=1
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need_fashion=1
[ -f /usr/share/dictd/jargon.dict.dz ] || need_jargon=1
# Debian 12's own Mesa (22.3) has a lavapipe that Dawn refuses; backports has 25.x.
mesa=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
{ [ -n "$mesa" ] && dpkg --compare-versions "$mesa" ge 24; } || need_lavapipe=1
[ $need_chromium = 0 ] && [ $need_lavapipe = 0 ] && [ $need_torch = 0 ] && [ $need_fashion = 0 ] && [ $need_jargon = 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  [ $need_chromium = 1 ] && { echo "Chromium is missing: run 'sudo apt-get install chromium' (Debian's package, /usr/bin/chromium) and retry." >&2; exit 1; }
  [ $need_torch = 1 ] && { echo "PyTorch is missing: run 'sudo apt-get install python3-torch python3-numpy' and retry." >&2; exit 1; }
  [ $need_fashion = 1 ] && { echo "Fashion-MNIST is missing: run 'sudo apt-get install dataset-fashion-mnist' and retry." >&2; exit 1; }
  [ $need_jargon = 1 ] && echo "note: the bundled text (Debian's dict-jargon) is absent: 'sudo apt-get install dict-jargon' for --dataset text without --text." >&2
  echo "note: lavapipe (mesa-vulkan-drivers from bookworm-backports) is absent; GPU unit tests use SwiftShader." >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if [ $need_lavapipe = 1 ] && grep -qs bookworm /etc/os-release && [ -f /etc/apt/sources.list.d/debian.sources ] \
   && [ ! -f /etc/apt/sources.list.d/backports.sources ]; then
  # The backports suite from the same mirror as the machine's own Debian source.
  awk 'BEGIN{RS="";ORS="\n\n"} /Suites: bookworm bookworm-updates/' /etc/apt/sources.list.d/debian.sources \
    | sed 's/^Suites: .*/Suites: bookworm-backports/' > /etc/apt/sources.list.d/backports.sources
fi
apt-get update -qq
pkgs=()
[ $need_chromium = 1 ] && pkgs+=(chromium)
[ $need_torch = 1 ] && pkgs+=(python3-torch python3-numpy)
[ $need_fashion = 1 ] && pkgs+=(dataset-fashion-mnist)
[ $need_jargon = 1 ] && pkgs+=(dict-jargon)
apt-get install -y -qq --no-install-recommends "${pkgs[@]}" fonts-dejavu-core >/dev/null
if [ $need_lavapipe = 1 ]; then
  apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers >/dev/null \
    || echo "note: lavapipe could not be installed; GPU unit tests use SwiftShader." >&2
fi
