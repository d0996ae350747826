#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "core/clock.h"

namespace shopcrm::core::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::atomic<Format> g_format{Format::kJson};
thread_local std::string t_request_id;

spdlog::logger& Logger() {
  // Created on first use; the sink writes whole lines under its own mutex.
  static auto logger = [] {
    auto l = std::make_shared<spdlog::logger>("shopcrm",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    return l;
  }();
  return *logger;
}

std::string_view LevelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

std::string Quote(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

bool ParseLevel(std::string_view name, Level& out) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (LevelName(l) == name) {
      out = l;
      return true;
    }
  }
  return false;
}

void Init(Level level, Format format) {
  g_level = level;
  g_format = format;
}

void Write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (level < g_level.load()) return;
  const std::string ts = FormatRfc3339(SystemClock().Now());
  std::string line;
  line.reserve(128);
  if (g_format.load() == Format::kJson) {
    line += "{\"ts\":\"" + ts + "\",\"level\":\"" + std::string(LevelName(level)) +
            "\",\"msg\":" + Quote(message);
    if (!t_request_id.empty()) line += ",\"request_id\":" + Quote(t_request_id);
    for (const auto& f : fields) {
      line += ',';
      line += Quote(f.key);
      line += ':';
      line += f.quoted ? Quote(f.value) : f.value;
    }
    line += '}';
  } else {
    line += ts + " " + std::string(LevelName(level)) + " " + std::string(message);
    if (!t_request_id.empty()) line += " request_id=" + t_request_id;
    for (const auto& f : fields) {
      line += ' ';
      line += f.key;
      line += '=';
      line += f.quoted ? Quote(f.value) : f.value;
    }
  }
  Logger().info(line);
}

ScopedRequestId::ScopedRequestId(std::string id) : previous_(std::move(t_request_id)) {
  t_request_id = std::move(id);
}
ScopedRequestId::~ScopedRequestId() { t_request_id = std::move(previous_); }

const std::string& CurrentRequestId() { return t_request_id; }

}  // namespace shopcrm::core::log
