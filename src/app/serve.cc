// `shopcrm serve`: the HTTP server with graceful shutdown on SIGTERM/SIGINT.
#include <pthread.h>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "api/server.h"
#include "app/app.h"
#include "app/commands.h"
#include "core/log.h"

namespace shopcrm::app {
namespace {

// Writes the first-start admin password to a file only its owner can read.
bool SavePasswordFile(const std::filesystem::path& path, const std::string& password) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  {
    std::ofstream out(path, std::ios::trunc);
    if (!out) return false;
  }
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace,
                  ec);
  if (ec) return false;
  std::ofstream out(path, std::ios::trunc);
  out << "username: admin\npassword: " << password << "\n";
  return static_cast<bool>(out);
}

}  // namespace

int Serve(const Config& config) {
  // Block the stop signals in every thread; one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto opened = OpenApp(config);
  if (!opened.ok()) {
    core::log::Error("cannot start", {{"error", opened.error().ToString()}});
    return 1;
  }
  App& app = **opened;
  auto admin = app.console_users->EnsureInitialAdmin();
  if (!admin.ok()) {
    core::log::Error("cannot create the first admin", {{"error", admin.error().ToString()}});
    return 1;
  }
  if (admin->has_value()) {
    const auto file = std::filesystem::path(config.data_dir) / "admin-password.txt";
    const bool saved = SavePasswordFile(file, **admin);
    std::cout << "\n  Console admin created. Log in as  admin  with password  " << **admin << "\n"
              << (saved ? "  (saved to " + file.string() + ", readable only by you; shown once)\n\n"
                        : "  (could not save it to a file: note it now)\n\n")
              << std::flush;
  }

  api::ServerOptions options = config.server;
  if (!options.static_dir.empty() && !std::filesystem::exists(options.static_dir + "/index.html")) {
    core::log::Warn("console not built; serving the API only",
                    {{"static_dir", options.static_dir}});
  }
  api::Services services{*app.db,
                         app.clock,
                         *app.audit,
                         *app.api_keys,
                         *app.console_users,
                         *app.member_tokens,
                         app.metrics,
                         config.time_zone,
                         app.clock.Now(),
                         *app.ingest,
                         *app.directory,
                         *app.tags,
                         *app.import_runs,
                         *app.segments,
                         *app.segment_store,
                         *app.facts,
                         *app.lifecycle,
                         *app.coupon_templates,
                         *app.coupons,
                         *app.issuing,
                         *app.points,
                         *app.stored_value,
                         *app.check_ins,
                         *app.levels,
                         *app.points_mall,
                         *app.paid,
                         *app.benefit_grants,
                         *app.tasks,
                         *app.medals,
                         *app.member_reports,
                         *app.order_rewards,
                         *app.member_rules,
                         *core::Currency::Parse(config.currency)};
  services.member_commits = app.member_commits.get();
  services.attitude_attributes = config.attitude_attributes;
  // Builds the index at once, then keeps it current and records stage changes.
  app.segments->StartRefresher(app.lifecycle.get());
  // Runs queued bulk grants, and resumes any a stopped server left unfinished.
  app.issuing->StartWorker();
  // Settles due points and recycles levels when a period ends.
  app.housekeeping->Start();
  api::ApiServer server(options, services);
  auto bound = server.Bind();
  if (!bound.ok()) {
    core::log::Error("cannot listen", {{"error", bound.error().ToString()}});
    return 1;
  }

  std::atomic<bool> signalled{false};
  std::thread waiter([&server, &signalled, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    signalled = true;
    core::log::Info("stopping: finishing in-flight requests", {{"signal", sig}});
    server.Stop();
  });
  core::log::Info("serving",
                  {{"url", "http://" + options.host + ":" + std::to_string(server.port())},
                   {"database", std::string(store::BackendName(app.db->backend()))},
                   {"version", SHOPCRM_VERSION}});
  std::cout << "shopcrm " << SHOPCRM_VERSION << " listening on http://" << options.host << ":"
            << server.port() << "/\n"
            << std::flush;
  auto ran = server.Run();
  // Run returned: either a signal stopped it, or listening failed. Wake the
  // waiter in the second case so it can be joined.
  if (!signalled) pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  if (!ran.ok()) {
    core::log::Error("server failed", {{"error", ran.error().ToString()}});
    return 1;
  }
  core::log::Info("stopped");
  return 0;
}

}  // namespace shopcrm::app
