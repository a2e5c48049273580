// The names a result file uses, with what they mean: every registry of this build
// (schedules, schedule options, levers, transports, profiles, masks and their parameters,
// dtypes, passes) as one JSON object. `cpbench list --format json` prints it and every result
// file's provenance holds it as "registry", so scripts read names, defaults and orders
// from it (docs/CONFIG.md).
#pragma once

#include <nlohmann/json.hpp>

namespace cpb {

// {"schedules": [{name, description, options}], "options": [{name, kind, allowed, max,
// default, omit_default, how, split_tag, help}], "levers": [{name, values, max, default,
// help}], "transports": [{name, help}], "masks": [{name, help, params: [{name, default}]}]
// (the mask parameters each mask reads, default null: none), "mask_params": [{name, kind,
// max, required_when_read, exclusive_with, allowed, help}], "profiles", "dtypes", "passes": [names]};
// every list in its registry's order (transports: TransportKind order).
nlohmann::json registry_json();

}  // namespace cpb
