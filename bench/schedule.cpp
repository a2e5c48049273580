#include "bench/schedule.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace cpb {
namespace {
std::map<std::string, std::unique_ptr<Schedule>>& registry() {
  static std::map<std::string, std::unique_ptr<Schedule>> r;
  return r;
}
}  // namespace

void register_schedule(std::unique_ptr<Schedule> s) {
  const std::string name = s->name();
  if (!registry().emplace(name, std::move(s)).second)
    throw std::logic_error("schedule registered twice: " + name);
}

const Schedule* find_schedule(const std::string& name) {
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : it->second.get();
}

std::vector<const Schedule*> all_schedules() {
  std::vector<const Schedule*> out;
  for (auto& kv : registry()) out.push_back(kv.second.get());
  return out;
}

std::vector<std::string> schedule_names() {
  std::vector<std::string> out;
  for (auto& kv : registry()) out.push_back(kv.first);
  return out;
}

}  // namespace cpb
