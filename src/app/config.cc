#include "app/config.h"

#include <toml++/toml.h>
#include <charconv>
#include <filesystem>
#include <functional>

#include "core/clock.h"
#include "core/money.h"

extern char** environ;  // NOLINT: POSIX

namespace shopcrm::app {
namespace {

using Setter = std::function<bool(Config&, const std::string&, std::string&)>;

struct Setting {
  std::string name;  // section.key
  Setter set;        // false and a message when the value is bad
};

template <typename T>
Setter Int(T Config::*section, auto member, int64_t lo, int64_t hi) {
  return [section, member, lo, hi](Config& c, const std::string& v, std::string& err) {
    int64_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi) {
      err = "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
      return false;
    }
    using Field = std::remove_reference_t<decltype((c.*section).*member)>;
    (c.*section).*member = static_cast<Field>(n);
    return true;
  };
}

bool ParseBool(const std::string& v, bool& out) {
  if (v == "true" || v == "1" || v == "yes") {
    out = true;
    return true;
  }
  if (v == "false" || v == "0" || v == "no") {
    out = false;
    return true;
  }
  return false;
}

std::vector<std::string> SplitList(const std::string& v) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= v.size()) {
    const size_t comma = v.find(',', start);
    std::string item =
        v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> kSettings = {
      {"server.host",
       [](Config& c, const std::string& v, std::string&) {
         c.server.host = v;
         return true;
       }},
      {"server.port", Int(&Config::server, &api::ServerOptions::port, 0, 65535)},
      {"server.threads", Int(&Config::server, &api::ServerOptions::threads, 1, 1024)},
      {"server.max_body_bytes",
       Int(&Config::server, &api::ServerOptions::max_body_bytes, 1024, int64_t{1} << 30)},
      {"server.max_json_bytes",
       [](Config& c, const std::string& v, std::string& err) {
         int64_t n = 0;
         auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
         if (ec != std::errc() || p != v.data() + v.size() || n < 1024) {
           err = "must be an integer of at least 1024";
           return false;
         }
         c.server.json.max_bytes = static_cast<size_t>(n);
         return true;
       }},
      {"server.max_json_depth",
       [](Config& c, const std::string& v, std::string& err) {
         int n = 0;
         auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
         if (ec != std::errc() || p != v.data() + v.size() || n < 2 || n > 512) {
           err = "must be an integer from 2 to 512";
           return false;
         }
         c.server.json.max_depth = n;
         return true;
       }},
      {"server.static_dir",
       [](Config& c, const std::string& v, std::string&) {
         c.server.static_dir = v;
         return true;
       }},
      {"server.cors_allowed_origins",
       [](Config& c, const std::string& v, std::string&) {
         c.server.cors_allowed_origins = SplitList(v);
         return true;
       }},
      {"server.cookie_secure",
       [](Config& c, const std::string& v, std::string& err) {
         if (ParseBool(v, c.server.cookie_secure)) return true;
         err = "must be true or false";
         return false;
       }},
      {"server.data_dir",
       [](Config& c, const std::string& v, std::string&) {
         c.data_dir = v;
         return true;
       }},
      {"server.node_id",
       [](Config& c, const std::string& v, std::string& err) {
         uint32_t n = 0;
         auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
         if (ec != std::errc() || p != v.data() + v.size() || n > core::IdGenerator::kMaxNode) {
           err = "must be an integer from 0 to 1023";
           return false;
         }
         c.node_id = n;
         return true;
       }},
      {"database.url",
       [](Config& c, const std::string& v, std::string&) {
         c.database.url = v;
         return true;
       }},
      {"database.pool_size", Int(&Config::database, &store::DatabaseOptions::pool_size, 1, 256)},
      {"database.busy_timeout_ms",
       [](Config& c, const std::string& v, std::string& err) {
         int64_t n = 0;
         auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
         if (ec != std::errc() || p != v.data() + v.size() || n < 0 || n > 600000) {
           err = "must be an integer from 0 to 600000";
           return false;
         }
         c.database.busy_timeout = std::chrono::milliseconds(n);
         return true;
       }},
      {"database.sqlite_synchronous",
       [](Config& c, const std::string& v, std::string& err) {
         if (v != "normal" && v != "full") {
           err = "must be normal or full";
           return false;
         }
         c.database.sqlite_synchronous = v;
         return true;
       }},
      {"business.time_zone",
       [](Config& c, const std::string& v, std::string& err) {
         if (!core::BusinessTimeZone::Load(v).ok()) {
           err = "unknown IANA time zone";
           return false;
         }
         c.time_zone = v;
         return true;
       }},
      {"business.currency",
       [](Config& c, const std::string& v, std::string& err) {
         if (!core::Currency::Parse(v).ok()) {
           err = "must be a three-letter ISO 4217 code";
           return false;
         }
         c.currency = v;
         return true;
       }},
      {"auth.session_ttl_hours",
       [](Config& c, const std::string& v, std::string& err) {
         int n = 0;
         auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
         if (ec != std::errc() || p != v.data() + v.size() || n < 1 || n > 24 * 90) {
           err = "must be an integer from 1 to 2160";
           return false;
         }
         c.auth.session_ttl = std::chrono::hours(n);
         return true;
       }},
      {"auth.max_login_failures",
       Int(&Config::auth, &identity::ConsoleUsersOptions::max_failures_per_user, 1, 1000)},
      {"auth.max_login_failures_per_ip",
       Int(&Config::auth, &identity::ConsoleUsersOptions::max_failures_per_ip, 1, 100000)},
      {"auth.login_window_minutes",
       [](Config& c, const std::string& v, std::string& err) {
         int n = 0;
         auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
         if (ec != std::errc() || p != v.data() + v.size() || n < 1 || n > 1440) {
           err = "must be an integer from 1 to 1440";
           return false;
         }
         c.auth.login_window = std::chrono::minutes(n);
         return true;
       }},
      {"log.level",
       [](Config& c, const std::string& v, std::string& err) {
         if (v != "debug" && v != "info" && v != "warn" && v != "error") {
           err = "must be debug, info, warn or error";
           return false;
         }
         c.log_level = v;
         return true;
       }},
      {"log.format",
       [](Config& c, const std::string& v, std::string& err) {
         if (v != "json" && v != "text") {
           err = "must be json or text";
           return false;
         }
         c.log_format = v;
         return true;
       }},
  };
  return kSettings;
}

const Setting* Find(std::string_view name) {
  for (const auto& s : Settings()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

void Apply(Config& c, const std::string& name, const std::string& value, const std::string& source,
           std::vector<core::FieldError>& errors) {
  const Setting* s = Find(name);
  if (s == nullptr) {
    errors.push_back({name, "unknown_setting", source + ": no such setting"});
    return;
  }
  std::string err;
  if (!s->set(c, value, err)) errors.push_back({name, "invalid_value", source + ": " + err});
}

// A TOML scalar or array of scalars as the string the setters parse.
std::optional<std::string> TomlText(const toml::node& node) {
  if (auto s = node.value<std::string>()) return *s;
  if (node.is_integer()) return std::to_string(*node.value<int64_t>());
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  if (const auto* arr = node.as_array()) {
    std::string out;
    for (const auto& item : *arr) {
      auto text = TomlText(item);
      if (!text) return std::nullopt;
      if (!out.empty()) out += ',';
      out += *text;
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> ConfigKeys() {
  std::vector<std::string> out;
  for (const auto& s : Settings()) out.push_back(s.name);
  return out;
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string kv = *e;
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

core::Result<Config> LoadConfig(const std::string& toml_path,
                                const std::map<std::string, std::string>& env,
                                const std::vector<std::string>& overrides) {
  Config c;
  std::vector<core::FieldError> errors;
  if (!toml_path.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(toml_path, ec)) {
      return core::InvalidArgument("invalid_config", "configuration file not found: " + toml_path);
    }
    toml::table table;
    try {
      table = toml::parse_file(toml_path);
    } catch (const toml::parse_error& e) {
      return core::InvalidArgument("invalid_config", toml_path + ":" +
                                                         std::to_string(e.source().begin.line) +
                                                         ": " + std::string(e.description()));
    }
    for (const auto& [section, node] : table) {
      const auto* t = node.as_table();
      if (t == nullptr) {
        errors.push_back(
            {std::string(section.str()), "unknown_setting", toml_path + ": expected a [section]"});
        continue;
      }
      for (const auto& [key, value] : *t) {
        const std::string name = std::string(section.str()) + "." + std::string(key.str());
        auto text = TomlText(value);
        if (!text) {
          errors.push_back({name, "invalid_value", toml_path + ": unsupported value type"});
          continue;
        }
        Apply(c, name, *text, toml_path, errors);
      }
    }
  }
  for (const auto& s : Settings()) {
    std::string var = "SHOPCRM_" + s.name;
    for (auto& ch : var)
      ch = ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    auto it = env.find(var);
    if (it != env.end()) Apply(c, s.name, it->second, var, errors);
  }
  for (const auto& o : overrides) {
    const size_t eq = o.find('=');
    if (eq == std::string::npos) {
      errors.push_back({o, "invalid_value", "flag: expected section.key=value"});
      continue;
    }
    Apply(c, o.substr(0, eq), o.substr(eq + 1), "flag", errors);
  }
  if (!errors.empty()) {
    return core::InvalidFields("invalid_config", std::move(errors));
  }
  SHOPCRM_RETURN_IF_ERROR(c.server.Validate());
  SHOPCRM_RETURN_IF_ERROR(c.database.Validate());
  SHOPCRM_RETURN_IF_ERROR(c.auth.Validate());
  return c;
}

}  // namespace shopcrm::app
