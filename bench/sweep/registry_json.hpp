// The names a result file uses, with what they mean: every registry of this build
// (schedules, schedule options, levers, transports, profiles, masks, dtypes) as one JSON
// object. `cpbench list --format json` prints it and every result file's provenance holds
// it as "registry", so scripts read names, defaults and orders from it (docs/CONFIG.md).
#pragma once

#include <nlohmann/json.hpp>

namespace cpb {

// {"schedules": [{name, description, options}], "options": [{name, kind, allowed, max,
// default, omit_default, how, split_tag, help}], "levers": [{name, values, max, default,
// help}], "transports": [{name, help}], "profiles", "masks", "dtypes": [names]}; every
// list in its registry's order (transports: TransportKind order).
nlohmann::json registry_json();

}  // namespace cpb
