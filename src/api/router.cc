#include "api/router.h"

namespace shopcrm::api {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

bool IsParam(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// The pattern's segments against the path's; fills `params` on a match.
bool MatchSegments(const std::vector<std::string>& want, const std::vector<std::string_view>& got,
                   std::map<std::string, std::string>& params) {
  if (want.size() != got.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    if (!IsParam(want[i]) && want[i] != got[i]) return false;
  }
  for (size_t i = 0; i < want.size(); ++i) {
    if (IsParam(want[i])) params.emplace(want[i].substr(1, want[i].size() - 2), got[i]);
  }
  return true;
}

}  // namespace

void Router::Add(Route route) {
  std::vector<std::string> segments;
  for (auto part : Split(route.pattern)) segments.emplace_back(part);
  segments_.push_back(std::move(segments));
  routes_.push_back(std::move(route));
}

RouteMatch Router::Match(std::string_view method, std::string_view path) const {
  RouteMatch m;
  const auto got = Split(path);
  for (size_t i = 0; i < routes_.size(); ++i) {
    std::map<std::string, std::string> params;
    if (!MatchSegments(segments_[i], got, params)) continue;
    if (routes_[i].method == method) {
      m.route = &routes_[i];
      m.params = std::move(params);
      return m;
    }
    m.path_exists = true;
  }
  return m;
}

}  // namespace shopcrm::api
