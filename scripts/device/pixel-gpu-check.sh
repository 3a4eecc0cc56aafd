#!/usr/bin/env bash
# For the device (GPU) machine: renders every golden pixel program with the GPU renderer and compares with the committed PNGs.
# Needs the Vulkan loader debs in .gl/ (see the device README) and a stripped ouro in .dev/ (or $OURO).
set -u
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
pass=0; fail=0
for p in crates/ouro-pixel/tests/golden/*.pixel.json; do
  base=${p%.pixel.json}
  if "${OURO:-./.dev/ouro}" pixel render "$p" --png "$OUT/$(basename $base).png" --gpu 2>$OUT/err.txt; then
    if cmp -s "$OUT/$(basename $base).png" "$base.png"; then echo "same  $(basename $base)"; pass=$((pass+1)); else echo "DIFF  $(basename $base)"; fail=$((fail+1)); fi
  else echo "ERROR $(basename $base): $(cat $OUT/err.txt)"; fail=$((fail+1)); fi
done
echo "$pass passed, $fail failed"
rm -f $OUT/*.png
