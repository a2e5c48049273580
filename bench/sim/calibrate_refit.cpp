#include "bench/sim/calibrate_refit.hpp"

#include "bench/sim/calibrate_sources.hpp"

namespace cpb {

MachineModel refit_transports(MachineModel m, const std::string& of, const std::vector<std::string>& from,
                              nlohmann::json refit) {
  m.transports = fit_transports(read_comm_sources(from));
  refit["of"] = of;
  refit["from"] = from;
  if (!m.provenance.is_object()) m.provenance = nlohmann::json::object();
  m.provenance["sources"] = from;
  m.provenance["transports_refit"] = std::move(refit);
  return m;
}

}  // namespace cpb
