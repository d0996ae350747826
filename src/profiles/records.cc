#include "profiles/records.h"

namespace shopcrm::profiles {

const std::vector<std::string_view>& EventTypes() {
  static const std::vector<std::string_view> kTypes = {
      "visit",  "search", "favourite", "cart_add", "share",
      "review", "login",  "check_in",  "purchase", "custom"};
  return kTypes;
}

const std::vector<std::string_view>& VisitPages() {
  static const std::vector<std::string_view> kPages = {"home", "store", "product", "other"};
  return kPages;
}

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAccepted:
      return "accepted";
    case Outcome::kDuplicate:
      return "duplicate";
    case Outcome::kHeld:
      return "held";
    case Outcome::kRejected:
      return "rejected";
  }
  return "rejected";
}

RecordResult Rejected(std::string source_id, const core::Error& error) {
  RecordResult r;
  r.outcome = Outcome::kRejected;
  r.source_id = std::move(source_id);
  if (!error.fields().empty()) {
    r.reason = error.fields().front().reason;
    r.field = error.fields().front().field;
    r.detail = error.fields().front().detail;
  } else {
    r.reason = error.reason();
    r.detail = error.detail();
  }
  return r;
}

void BatchResult::Add(RecordResult r) {
  switch (r.outcome) {
    case Outcome::kAccepted:
      ++accepted;
      break;
    case Outcome::kDuplicate:
      ++duplicate;
      break;
    case Outcome::kHeld:
      ++held;
      break;
    case Outcome::kRejected:
      ++rejected;
      break;
  }
  results.push_back(std::move(r));
}

}  // namespace shopcrm::profiles
