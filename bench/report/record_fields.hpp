// Reading result records (docs/ARCHITECTURE.md, "The result file") whose fields may be
// missing or null: a SKIPPED row has no times, an older file may lack newer metrics.
// Every reader in bench/report goes through these, so none of them assumes a field is
// there.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace cpb {

// The value at `path` (a chain of object keys) inside `j`, or nullptr when a key is
// missing or a value on the way is not an object. A null value is returned as is.
const nlohmann::json* find_field(const nlohmann::json& j, std::initializer_list<const char*> path);

// The number at `path`; nullopt when it is missing, null, not a number or not finite.
std::optional<double> number_field(const nlohmann::json& j, std::initializer_list<const char*> path);

// The string at `path`; `fallback` when it is missing or not a string.
std::string string_field(const nlohmann::json& j, std::initializer_list<const char*> path,
                         const std::string& fallback = "");

// "PASS", "FAILED", "SKIPPED" (or whatever the record says); "" when missing.
std::string record_status(const nlohmann::json& record);

// A canonical string of schedule + params (object keys sorted): two records describe the
// same point iff their identities are equal.
std::string point_identity(const nlohmann::json& record);

// The params that are options of the schedule (chunks, chunk_heads, usp_u, ...) or overlap
// levers (comm_priority, nccl_ctas, attn_sms): those that metrics.hpp's problem_key()
// drops, except the transport. An object, possibly empty.
nlohmann::json schedule_options(const nlohmann::json& record);

// The problem a record solves apart from its sequence length, and its transport:
// problem_key() without S, with the transport. Records with equal problem groups go into
// one table of the report.
nlohmann::json problem_group(const nlohmann::json& record);

// The schedule with its options, for column titles: "ulysses", "hcms C=3",
// "hcms heads=3,2,2" (explicit chunk_heads), "usp u=2"; other options as key=value.
std::string variant_label(const nlohmann::json& record);

// The problem group in one line: "P=2 H=40 Hkv=40 D=128 B=1 full bf16 nccl nvlink";
// unknown params are appended as key=value, the pass among them ("pass=bwd"). With
// `name_fwd`, a group without a pass says "pass=fwd" (for files whose passes differ).
std::string describe_group(const nlohmann::json& group, bool name_fwd = false);

// The pass a record ran, params.pass: "fwd" when absent, as in the records of sweeps made
// before the pass axis (and of every fwd point: params name the pass only when not fwd).
std::string record_pass(const nlohmann::json& record);

// Whether a record of the array `points` ran another pass than fwd: the tables then show
// every row's pass.
bool has_other_pass(const nlohmann::json& points);

// The whole point in one line: variant_label, S and describe_group, e.g.
// "hcms C=3 S=56160 P=2 H=40 Hkv=40 D=128 B=1 full bf16 nccl nvlink".
std::string describe_point(const nlohmann::json& record);

// Display order of schedules: ulysses, hcms, ring, zigzag_ring, usp, tiled, then others.
int schedule_order(const std::string& schedule);

// An array of names (e.g. provenance "gpus") with repeats counted, in order of first
// appearance: ["H200", "H200", "A100"] -> "H200 x2, A100". "" when not an array.
std::string summarize_names(const nlohmann::json& names);

// A JSON scalar as plain text: strings without quotes, integers without ".0", arrays
// as comma-separated elements; null as "".
std::string plain_text(const nlohmann::json& v);

}  // namespace cpb
