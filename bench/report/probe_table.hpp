// The console table of `cpbench probe`: one row per transport (bench/probe/probe_metrics.hpp).
#pragma once

#include <ostream>

#include <nlohmann/json.hpp>

namespace cpb {

// Columns: transport, attn ms, comm ms, both ms (p50s), hidden (fraction, 2 decimals),
// comm GB/s, attn x (both / attn), status, and a trailing note: a SKIPPED row's reason.
// Missing or null values print as "-".
void print_probe_header(std::ostream& out);
void print_probe_row(const nlohmann::json& row, std::ostream& out);

}  // namespace cpb
