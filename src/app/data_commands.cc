// `shopcrm import …` and `shopcrm demo`: customer data from files, or a
// generated mall, written through the same ingestion as the HTTP API.
// docs/import.md describes the formats and the output.
#include <unistd.h>
#include <iostream>

#include "app/app.h"
#include "app/commands.h"
#include "marketing/demo.h"
#include "membership/demo.h"
#include "profiles/demo.h"
#include "profiles/importers.h"

namespace shopcrm::app {
namespace {

int Fail(const core::Error& e) {
  std::cerr << "error: " << e.detail() << " (" << e.reason() << ")\n";
  for (const auto& f : e.fields()) std::cerr << "  " << f.field << ": " << f.detail << "\n";
  return e.code() == core::ErrorCode::kInvalidArgument ? 2 : 1;
}

profiles::ImportOptions Options(int chunk_records) {
  profiles::ImportOptions o;
  o.chunk_records = chunk_records > 0 ? static_cast<size_t>(chunk_records) : 0;
  o.started_by = "cli";
  // A redrawn progress line only makes sense on a terminal.
  if (isatty(STDERR_FILENO) != 0) o.progress = &std::cerr;
  return o;
}

int Report(const core::Result<profiles::ImportReport>& report) {
  if (!report.ok()) return Fail(report.error());
  profiles::PrintReport(*report, std::cout);
  return report->ok() ? 0 : 1;
}

core::Result<profiles::FileFormat> FormatFor(const ImportArgs& args, const std::string& path) {
  if (!args.format.empty()) return profiles::ParseFileFormat(args.format);
  return profiles::FormatOfPath(path);
}

}  // namespace

int ImportCommand(const Config& config, const ImportArgs& args) {
  const profiles::ImportOptions options = Options(args.chunk_records);
  if (auto st = options.Validate(); !st.ok()) return Fail(st.error());
  // Usage errors are found before the database is opened.
  std::optional<profiles::FileFormat> format;
  if (args.kind != "olist" && args.kind != "taobao") {
    auto f = FormatFor(args, args.path);
    if (!f.ok()) return Fail(f.error());
    format = *f;
  }
  std::optional<std::string> items_path;
  std::string orders_path = args.path;
  if (args.kind == "orders" && !args.items_path.empty()) items_path = args.items_path;
  if (args.kind == "order-items") {
    if (args.orders_path.empty()) {
      std::cerr
          << "error: import order-items needs --orders FILE, the orders the lines belong to\n";
      return 2;
    }
    orders_path = args.orders_path;
    items_path = args.path;
  }
  if (items_path && format != profiles::FileFormat::kCsv) {
    std::cerr << "error: a separate file of order lines is read only for CSV; NDJSON orders "
                 "carry their \"items\"\n";
    return 2;
  }

  auto app = OpenApp(config);
  if (!app.ok()) return Fail(app.error());
  profiles::Importer importer(*(*app)->ingest, *(*app)->import_runs, options);
  if (args.kind == "olist") return Report(importer.Olist(args.path));
  if (args.kind == "taobao") return Report(importer.Taobao(args.path));
  if (args.kind == "users") return Report(importer.Users(args.path, *format));
  if (args.kind == "orders" || args.kind == "order-items") {
    return Report(importer.Orders(orders_path, items_path, *format));
  }
  if (args.kind == "order-updates") return Report(importer.OrderUpdates(args.path, *format));
  if (args.kind == "events") return Report(importer.Events(args.path, *format));
  std::cerr << "error: unknown import kind '" << args.kind << "'\n";
  return 2;
}

int DemoCommand(const Config& config, int64_t users, uint64_t seed) {
  profiles::DemoOptions demo;
  demo.users = users;
  demo.seed = seed;
  if (auto st = demo.Validate(); !st.ok()) return Fail(st.error());
  auto app = OpenApp(config);
  if (!app.ok()) return Fail(app.error());
  const int rc = Report(profiles::GenerateDemo(*(*app)->ingest, *(*app)->import_runs, (*app)->clock,
                                               demo, Options(5000)));
  if (rc != 0) return rc;
  // Coupons for the first 200 demo users (newest first), some of them used.
  profiles::UserQuery q;
  q.limit = 200;
  auto page = (*app)->directory->List(q);
  if (!page.ok()) return Fail(page.error());
  std::vector<int64_t> user_ids;
  for (const auto& u : page->items) user_ids.push_back(u.id);
  auto coupons =
      marketing::GenerateCouponDemo(*(*app)->coupon_templates, *(*app)->coupons, user_ids, seed);
  if (!coupons.ok()) return Fail(coupons.error());
  std::cout << "coupons: " << coupons->templates << " templates, " << coupons->issued
            << " claimed, " << coupons->used << " used at checkout\n";
  // Membership for the same users: levels, points, check-ins, stored value, paid members.
  auto& a = **app;
  auto members = membership::GenerateMembershipDemo(
      {*a.levels, *a.points, *a.stored_value, *a.paid, *a.check_ins, *a.points_mall,
       *a.benefit_grants, *a.tasks, *a.medals, *a.coupon_templates, *a.db, a.clock},
      user_ids, seed);
  if (!members.ok()) return Fail(members.error());
  std::cout << "membership: " << members->members << " members, " << members->recharged
            << " recharged, " << members->paid << " paid members\n";
  return 0;
}

}  // namespace shopcrm::app
