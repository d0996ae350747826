#include "segments/lifecycle_recorder.h"

#include <algorithm>

#include "store/paging.h"

namespace shopcrm::segments {
namespace {

using store::Session;
using store::TxMode;
using store::Value;

struct Change {
  int64_t user_id;
  std::optional<std::string> from;
  std::string to;
};

}  // namespace

core::Result<RecordReport> LifecycleRecorder::Record(const FeatureIndex& index,
                                                     const FeatureIndex* beside,
                                                     const AsOf& as_of) {
  return RecordOf(index, beside, false, as_of);
}

core::Result<RecordReport> LifecycleRecorder::RecordSome(const FeatureIndex& index,
                                                         const AsOf& as_of) {
  return RecordOf(index, nullptr, true, as_of);
}

core::Result<RecordReport> LifecycleRecorder::RecordOf(const FeatureIndex& index,
                                                       const FeatureIndex* beside, bool some,
                                                       const AsOf& as_of) {
  std::lock_guard lock(record_mu_);
  // What was recorded, in user id order.
  std::vector<std::pair<int64_t, std::string>> recorded;
  if (some) {
    std::vector<int64_t> users;
    index.ForEachStage(as_of, [&](int64_t user_id, std::string_view) { users.push_back(user_id); });
    SHOPCRM_RETURN_IF_ERROR(store::ForIdChunks(
        db_, users, "SELECT user_id, stage FROM user_stages WHERE user_id IN {in}",
        [&](const store::Row& r) {
          recorded.emplace_back(r.Int(0), r.Text(1));
          return core::Status::Ok();
        }));
    std::sort(recorded.begin(), recorded.end());
  }
  constexpr int64_t kPage = 100000;
  for (int64_t after = INT64_MIN; !some;) {
    size_t got = 0;
    SHOPCRM_RETURN_IF_ERROR(db_.Transact(TxMode::kRead, [&](Session& s) -> core::Status {
      SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT user_id, stage FROM user_stages WHERE "
                                                  "user_id > ? ORDER BY user_id LIMIT ?",
                                                  {after, kPage}));
      got = rows.rows.size();
      for (const auto& r : rows.rows) recorded.emplace_back(r.Int(0), r.Text(1));
      return core::Status::Ok();
    }));
    if (got < static_cast<size_t>(kPage)) break;
    after = recorded.back().first;
  }
  std::vector<Change> changes;
  RecordReport report;
  size_t k = 0;
  auto compare = [&](int64_t user_id, std::string_view stage) {
    ++report.users;
    while (k < recorded.size() && recorded[k].first < user_id) ++k;
    if (k < recorded.size() && recorded[k].first == user_id) {
      if (recorded[k].second != stage) {
        changes.push_back({user_id, recorded[k].second, std::string(stage)});
      }
    } else {
      changes.push_back({user_id, std::nullopt, std::string(stage)});
    }
  };
  // The users beside, few, go in between in id order.
  std::vector<std::pair<int64_t, std::string_view>> others;
  if (beside != nullptr) {
    beside->ForEachStage(as_of, [&](int64_t user_id, std::string_view stage) {
      others.emplace_back(user_id, stage);
    });
  }
  size_t o = 0;
  index.ForEachStage(as_of, [&](int64_t user_id, std::string_view stage) {
    for (; o < others.size() && others[o].first < user_id; ++o)
      compare(others[o].first, others[o].second);
    compare(user_id, stage);
  });
  for (; o < others.size(); ++o) compare(others[o].first, others[o].second);
  const int64_t at = core::ToUnixMicros(as_of.at);
  constexpr size_t kChunk = 500;
  for (size_t start = 0; start < changes.size(); start += kChunk) {
    const size_t n = std::min(kChunk, changes.size() - start);
    SHOPCRM_RETURN_IF_ERROR(db_.Transact(TxMode::kWrite, [&](Session& s) -> core::Status {
      std::string upsert = "INSERT INTO user_stages (user_id, stage, since) VALUES ";
      std::string insert =
          "INSERT INTO lifecycle_transitions (id, user_id, from_stage, to_stage, at) VALUES ";
      std::vector<Value> up;
      std::vector<Value> in;
      for (size_t i = 0; i < n; ++i) {
        const Change& c = changes[start + i];
        upsert += i == 0 ? "(?, ?, ?)" : ", (?, ?, ?)";
        up.insert(up.end(), {c.user_id, c.to, at});
        insert += i == 0 ? "(?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?)";
        in.insert(in.end(),
                  {ids_.Next(), c.user_id, c.from ? Value(*c.from) : store::Null(), c.to, at});
      }
      upsert +=
          " ON CONFLICT (user_id) DO UPDATE SET stage = excluded.stage, since = excluded.since";
      SHOPCRM_RETURN_IF_ERROR(s.Execute(upsert, up).status());
      return s.Execute(insert, in).status();
    }));
  }
  report.changed = changes.size();
  return report;
}

core::Result<std::vector<Flow>> LifecycleRecorder::Flows(core::Instant from, core::Instant to) {
  std::vector<Flow> out;
  SHOPCRM_RETURN_IF_ERROR(db_.Transact(TxMode::kRead, [&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        auto rows, s.Query("SELECT from_stage, to_stage, COUNT(*) FROM lifecycle_transitions "
                           "WHERE at >= ? AND at < ? GROUP BY from_stage, to_stage "
                           "ORDER BY (from_stage IS NULL) DESC, from_stage, to_stage",
                           {core::ToUnixMicros(from), core::ToUnixMicros(to)}));
    for (const auto& r : rows.rows) {
      out.push_back({r.OptionalText(0), r.Text(1), static_cast<uint64_t>(r.Int(2))});
    }
    return core::Status::Ok();
  }));
  return out;
}

}  // namespace shopcrm::segments
