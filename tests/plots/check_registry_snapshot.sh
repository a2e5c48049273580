#!/usr/bin/env bash
# The registry snapshot the scripts fall back on (scripts/plots/registry.json, for result
# files without a provenance "registry") must be this build's `cpbench list --format json`;
# the scripts then read it: the split options, levers and orders come out of it.
#   check_registry_snapshot.sh CPBENCH SOURCE_DIR
set -uo pipefail
cpbench=$1 src=$2
snapshot=$src/scripts/plots/registry.json
if ! diff <("$cpbench" list --format json) "$snapshot"; then
  echo "FAIL: $snapshot differs from \`cpbench list --format json\` (above);" \
       "regenerate it: build/cpbench list --format json > scripts/plots/registry.json"
  exit 1
fi
python3 - "$src/scripts/plots" <<'PY' || exit 1
import sys
sys.path.insert(0, sys.argv[1])
import cpb_results as cr
reg = cr.registry()
assert reg.split_options == ("chunks", "chunk_heads", "usp_u", "tile_blocks", "tile_u"), reg.split_options
assert list(reg.levers) == ["comm_priority", "nccl_ctas", "attn_sms", "step_order"], reg.levers
assert reg.how_options == ("qkv_layout", "tile_fuse"), reg.how_options
assert reg.transports[0] == "nccl" and reg.profiles[0] == "nvlink", (reg.transports, reg.profiles)
assert reg.at_default("chunk_shape", "even") and not reg.at_default("chunk_shape", "taper")
assert reg.at_default("nccl_ctas", None) and not reg.at_default("nccl_ctas", 4)
# A file's own registry wins over the snapshot.
mine = {"options": [], "levers": [{"name": "x", "default": 0}], "transports": [{"name": "t"}], "profiles": ["p"]}
assert list(cr.registry({"registry": mine}).levers) == ["x"]
rec = {"schedule": "hcms", "params": {"P": 2, "S": 8, "chunks": 1, "chunk_heads": [2, 1], "comm_order": "inputs_first"},
       "options": ["chunks", "chunk_heads", "comm_order"]}
assert cr.variant_label(rec, reg) == "hcms heads=2,1 comm_order=inputs_first", cr.variant_label(rec, reg)
assert cr.chunk_count(rec, reg) == 2
print("registry snapshot ok")
PY
