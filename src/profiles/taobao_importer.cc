// Taobao UserBehavior (docs/import.md, "Taobao"): headerless CSV lines
// user_id,item_id,category_id,behavior_type,timestamp, each one event.
#include <algorithm>
#include <charconv>

#include "profiles/csv.h"
#include "profiles/importers.h"
#include "profiles/internal/import_session.h"

namespace shopcrm::profiles {
namespace {

using internal::Feed;
using internal::ImportSession;
using internal::Origin;

constexpr size_t kColumns = 5;

core::Error FieldError(std::string field, std::string reason, std::string detail) {
  return core::InvalidFields("invalid_fields",
                             {{std::move(field), std::move(reason), std::move(detail)}});
}

bool IsDigits(std::string_view s) {
  return !s.empty() && s.size() <= 20 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::string_view> EventType(std::string_view behavior) {
  if (behavior == "pv") return "visit";
  if (behavior == "fav") return "favourite";
  if (behavior == "cart") return "cart_add";
  if (behavior == "buy") return "purchase";
  return std::nullopt;
}

core::Result<EventRecord> ReadLine(const CsvRecord& rec) {
  if (rec.error) return core::InvalidArgument(*rec.error, "the line breaks CSV quoting");
  if (rec.fields.size() != kColumns) {
    return core::InvalidArgument("csv_field_count",
                                 "the line has " + std::to_string(rec.fields.size()) +
                                     " fields; expected 5 "
                                     "(user_id,item_id,category_id,behavior_type,timestamp)");
  }
  static constexpr const char* kNames[] = {"user_id", "item_id", "category_id"};
  for (size_t i = 0; i < 3; ++i) {
    if (!IsDigits(rec.fields[i])) {
      return FieldError(kNames[i], "must_be_integer",
                        "expected a numeric id, got '" + rec.fields[i] + "'");
    }
  }
  const auto type = EventType(rec.fields[3]);
  if (!type) {
    return FieldError("behavior_type", "invalid_enum",
                      "expected pv, fav, cart or buy, got '" + rec.fields[3] + "'");
  }
  int64_t seconds = 0;
  const std::string& ts = rec.fields[4];
  const auto [p, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), seconds);
  // Up to the year 9999: beyond that the microsecond count would overflow.
  if (ts.empty() || ec != std::errc() || p != ts.data() + ts.size() || seconds < 0 ||
      seconds > 253402300799) {
    return FieldError("timestamp", "invalid_timestamp", "expected Unix seconds, got '" + ts + "'");
  }
  EventRecord e;
  e.source_id = "tb:" + rec.fields[0] + ":" + rec.fields[1] + ":" + rec.fields[3] + ":" + ts;
  e.user_external_id = rec.fields[0];
  e.type = std::string(*type);
  e.occurred_at = core::FromUnixMicros(seconds * 1'000'000);
  if (e.type == "visit") e.page = "product";
  e.product_source_id = rec.fields[1];
  e.category_source_id = rec.fields[2];
  return e;
}

}  // namespace

core::Result<ImportReport> Importer::Taobao(const std::string& path) {
  SHOPCRM_RETURN_IF_ERROR(options_.Validate());
  SHOPCRM_ASSIGN_OR_RETURN(auto stream, internal::OpenInput(path));
  const int64_t size = internal::FileSize(path);
  ImportSession session(runs_, options_, "taobao", path);
  SHOPCRM_RETURN_IF_ERROR(session.Start());
  const size_t file = session.AddFile(internal::BaseName(path));
  Feed<EventRecord> events(session, "events", [this](std::span<const Incoming<EventRecord>> b) {
    return ingest_.Events(b);
  });
  CsvReader reader(*stream);
  auto run = [&]() -> core::Status {
    CsvRecord rec;
    int64_t rows = 0;
    while (reader.Next(rec)) {
      session.CountRow(file);
      ++rows;
      const Origin origin{file, rec.number};
      auto e = ReadLine(rec);
      if (!e.ok()) {
        session.Reject(events.entity(), origin, e.error());
      } else {
        std::string id = e->source_id;
        SHOPCRM_RETURN_IF_ERROR(events.Add({std::move(id), std::move(e).value()}, origin));
      }
      session.ShowProgress("events", reader.bytes_consumed(), size, rows);
    }
    return events.Flush();
  };
  auto st = run();
  return session.Finish(st.ok() ? "" : st.error().ToString());
}

}  // namespace shopcrm::profiles
