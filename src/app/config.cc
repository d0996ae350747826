#include "app/config.h"

#include <toml++/toml.h>
#include <algorithm>
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

// An integer in [lo, hi], handed to `apply`.
Setter IntIn(int64_t lo, int64_t hi, std::function<void(Config&, int64_t)> apply) {
  return [lo, hi, apply = std::move(apply)](Config& c, const std::string& v, std::string& err) {
    int64_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi) {
      err = "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
      return false;
    }
    apply(c, n);
    return true;
  };
}

// A threshold of the built-in segment models.
Setter ModelInt(int lo, int hi, int segments::ModelOptions::*field) {
  return IntIn(lo, hi,
               [field](Config& c, int64_t n) { c.segments.models.*field = static_cast<int>(n); });
}

// One of the listed words.
Setter OneOf(std::vector<std::string> allowed,
             std::function<void(Config&, const std::string&)> apply) {
  return [allowed = std::move(allowed), apply = std::move(apply)](Config& c, const std::string& v,
                                                                  std::string& err) {
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
      err = "must be one of:";
      for (const auto& a : allowed) err += " " + a;
      return false;
    }
    apply(c, v);
    return true;
  };
}

// Any text that `valid` accepts (no check when null).
Setter Text(std::function<void(Config&, const std::string&)> apply,
            std::function<bool(const std::string&)> valid = nullptr, std::string message = "") {
  return [apply = std::move(apply), valid = std::move(valid), message = std::move(message)](
             Config& c, const std::string& v, std::string& err) {
    if (valid && !valid(v)) {
      err = message;
      return false;
    }
    apply(c, v);
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

// A boolean whose absence means "decided later" (std::nullopt).
Setter OptionalBool(std::optional<bool> Config::*field) {
  return [field](Config& c, const std::string& v, std::string& err) {
    bool on = false;
    if (!ParseBool(v, on)) {
      err = "must be true or false";
      return false;
    }
    c.*field = on;
    return true;
  };
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
  using std::chrono::hours;
  using std::chrono::milliseconds;
  using std::chrono::minutes;
  static const std::vector<Setting> kSettings = {
      {"server.host", Text([](Config& c, const std::string& v) { c.server.host = v; })},
      {"server.port",
       IntIn(0, 65535, [](Config& c, int64_t n) { c.server.port = static_cast<int>(n); })},
      {"server.threads",
       IntIn(1, 1024, [](Config& c, int64_t n) { c.server.threads = static_cast<int>(n); })},
      {"server.max_body_bytes",
       IntIn(1024, int64_t{1} << 30,
             [](Config& c, int64_t n) { c.server.max_body_bytes = static_cast<size_t>(n); })},
      {"server.max_json_bytes",
       IntIn(1024, int64_t{1} << 30,
             [](Config& c, int64_t n) { c.server.json.max_bytes = static_cast<size_t>(n); })},
      {"server.max_json_depth",
       IntIn(2, 512, [](Config& c, int64_t n) { c.server.json.max_depth = static_cast<int>(n); })},
      {"server.static_dir", Text([](Config& c, const std::string& v) { c.server.static_dir = v; })},
      {"server.cors_allowed_origins",
       Text([](Config& c, const std::string& v) { c.server.cors_allowed_origins = SplitList(v); })},
      {"server.cookie_secure",
       [](Config& c, const std::string& v, std::string& err) {
         if (ParseBool(v, c.server.cookie_secure)) return true;
         err = "must be true or false";
         return false;
       }},
      {"server.data_dir", Text([](Config& c, const std::string& v) { c.data_dir = v; })},
      {"server.node_id", IntIn(0, core::IdGenerator::kMaxNode,
                               [](Config& c, int64_t n) { c.node_id = static_cast<uint32_t>(n); })},
      {"database.url", Text([](Config& c, const std::string& v) { c.database.url = v; })},
      {"database.pool_size",
       IntIn(1, 256, [](Config& c, int64_t n) { c.database.pool_size = static_cast<int>(n); })},
      {"database.busy_timeout_ms",
       IntIn(0, 600000, [](Config& c, int64_t n) { c.database.busy_timeout = milliseconds(n); })},
      {"database.sqlite_synchronous",
       OneOf({"normal", "full"},
             [](Config& c, const std::string& v) { c.database.sqlite_synchronous = v; })},
      {"database.sqlite_page_size",
       OneOf({"4096", "8192", "16384", "32768", "65536"},
             [](Config& c, const std::string& v) { c.database.sqlite_page_size = std::stoi(v); })},
      {"database.sqlite_checkpoint_pages", IntIn(16, 1000000,
                                                 [](Config& c, int64_t n) {
                                                   c.database.sqlite_checkpoint_pages =
                                                       static_cast<int>(n);
                                                 })},
      {"business.time_zone",
       Text([](Config& c, const std::string& v) { c.time_zone = v; },
            [](const std::string& v) { return core::BusinessTimeZone::Load(v).ok(); },
            "unknown IANA time zone")},
      {"business.currency", Text([](Config& c, const std::string& v) { c.currency = v; },
                                 [](const std::string& v) { return core::Currency::Parse(v).ok(); },
                                 "must be a three-letter ISO 4217 code")},
      {"segments.as_of",
       Text([](Config& c, const std::string& v) { c.segments.as_of = *core::ParseRfc3339(v); },
            [](const std::string& v) { return core::ParseRfc3339(v).ok(); },
            "must be an RFC 3339 time, e.g. 2018-10-17T00:00:00Z")},
      {"segments.refresh_ms",
       IntIn(100, 3600000,
             [](Config& c, int64_t n) { c.segments.refresh_interval = milliseconds(n); })},
      {"segments.update_max_users",
       IntIn(0, 10000000,
             [](Config& c, int64_t n) { c.segments.update_max_users = static_cast<size_t>(n); })},
      {"segments.full_build_seconds",
       IntIn(1, 604800,
             [](Config& c, int64_t n) { c.segments.full_build_interval = std::chrono::seconds(n); })},
      {"segments.straggler_seconds",
       IntIn(0, 3600,
             [](Config& c, int64_t n) { c.segments.straggler_window = std::chrono::seconds(n); })},
      {"segments.new_days", ModelInt(1, 3650, &segments::ModelOptions::new_days)},
      {"segments.churn_days", ModelInt(1, 3650, &segments::ModelOptions::churn_days)},
      {"segments.mature_orders", ModelInt(1, 10000, &segments::ModelOptions::mature_orders)},
      {"segments.rfm_window_days", ModelInt(1, 3650, &segments::ModelOptions::rfm_window_days)},
      {"segments.pareto_percent", ModelInt(1, 99, &segments::ModelOptions::pareto_percent)},
      {"analytics.attitude_attributes",
       [](Config& c, const std::string& v, std::string& err) {
         auto attributes = profiles::ParseAttitudeAttributes(v);
         if (!attributes.ok()) {
           err = "must list name:weight pairs, e.g. quality:3,price:2 (weights -3 to 3, at most "
                 "20)";
           return false;
         }
         c.attitude_attributes = std::move(*attributes);
         return true;
       }},
      {"segments.motive_orders", ModelInt(1, 10000, &segments::ModelOptions::motive_orders)},
      {"segments.functional_percent",
       ModelInt(0, 100, &segments::ModelOptions::functional_percent)},
      {"segments.conditional_percent",
       ModelInt(0, 100, &segments::ModelOptions::conditional_percent)},
      {"segments.emotional_favourites",
       ModelInt(1, 10000, &segments::ModelOptions::emotional_favourites)},
      {"segments.epistemic_categories",
       ModelInt(1, 10000, &segments::ModelOptions::epistemic_categories)},
      {"coupons.max_unused_crm",
       IntIn(0, 1000, [](Config& c, int64_t n) { c.coupons.max_unused_crm = n; })},
      {"coupons.grant_repeat_days",
       IntIn(0, 3650, [](Config& c, int64_t n) { c.coupons.grant_repeat_days = n; })},
      {"coupons.group_commit", OptionalBool(&Config::coupons_group_commit)},
      {"coupons.group_commit_batch",
       IntIn(1, 10000,
             [](Config& c, int64_t n) { c.coupons.group_commit_batch = static_cast<int>(n); })},
      {"coupons.group_commit_writers",
       IntIn(1, 64,
             [](Config& c, int64_t n) { c.coupons.group_commit_writers = static_cast<int>(n); })},
      {"membership.group_commit", OptionalBool(&Config::membership_group_commit)},
      {"membership.member_token_secret",
       [](Config& c, const std::string& v, std::string& err) {
         if (v.size() >= 32 && v.size() <= 256) {
           c.member_token_secret = v;
           return true;
         }
         err = "must be 32 to 256 characters";
         return false;
       }},
      {"membership.points_expiry",
       OneOf({"never", "days", "year_end"},
             [](Config& c, const std::string& v) {
               c.points.expiry = v == "never"  ? membership::PointsExpiry::kNever
                                 : v == "days" ? membership::PointsExpiry::kDays
                                               : membership::PointsExpiry::kYearEnd;
             })},
      {"membership.points_expiry_days",
       IntIn(1, 3650, [](Config& c, int64_t n) { c.points.expiry_days = static_cast<int>(n); })},
      {"membership.check_in_points",
       IntIn(0, 1000000, [](Config& c, int64_t n) { c.check_ins.points = n; })},
      {"membership.check_in_streak_days",
       IntIn(0, 366,
             [](Config& c, int64_t n) { c.check_ins.streak_days = static_cast<int>(n); })},
      {"membership.check_in_streak_points",
       IntIn(0, 1000000, [](Config& c, int64_t n) { c.check_ins.streak_points = n; })},
      {"membership.points_per_yuan",
       IntIn(0, 1000, [](Config& c, int64_t n) { c.order_rewards.points_per_yuan = n; })},
      {"membership.order_points_hold_days",
       IntIn(0, 365,
             [](Config& c, int64_t n) { c.order_rewards.hold_days = static_cast<int>(n); })},
      {"membership.check_in_streak_coupon_template_id",
       [](Config& c, const std::string& v, std::string& err) {
         if (auto id = core::ParseId(v)) {
           c.check_ins.streak_coupon_template_id = *id;
           return true;
         }
         err = "must be a coupon template id";
         return false;
       }},
      {"membership.make_ups_per_month",
       IntIn(0, 31,
             [](Config& c, int64_t n) { c.check_ins.make_ups_per_month = static_cast<int>(n); })},
      {"membership.make_up_cost",
       IntIn(0, 1000000, [](Config& c, int64_t n) { c.check_ins.make_up_cost = n; })},
      {"auth.session_ttl_hours",
       IntIn(1, 24 * 90, [](Config& c, int64_t n) { c.auth.session_ttl = hours(n); })},
      {"auth.max_login_failures",
       IntIn(1, 1000,
             [](Config& c, int64_t n) { c.auth.max_failures_per_user = static_cast<int>(n); })},
      {"auth.max_login_failures_per_ip",
       IntIn(1, 100000,
             [](Config& c, int64_t n) { c.auth.max_failures_per_ip = static_cast<int>(n); })},
      {"auth.login_window_minutes",
       IntIn(1, 1440, [](Config& c, int64_t n) { c.auth.login_window = minutes(n); })},
      {"log.level", OneOf({"debug", "info", "warn", "error"},
                          [](Config& c, const std::string& v) { c.log_level = v; })},
      {"log.format",
       OneOf({"json", "text"}, [](Config& c, const std::string& v) { c.log_format = v; })},
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
  SHOPCRM_RETURN_IF_ERROR(c.segments.models.Validate());
  SHOPCRM_RETURN_IF_ERROR(c.coupons.Validate());
  return c;
}

}  // namespace shopcrm::app
