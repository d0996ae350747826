#include "identity/principal.h"

namespace shopcrm::identity {

audit::Actor Principal::ToActor(std::string ip) const {
  switch (kind) {
    case Kind::kConsoleUser:
      return {"user", std::to_string(id), name, std::move(ip)};
    case Kind::kApiKey:
      return {"api_key", std::to_string(id), name, std::move(ip)};
    case Kind::kCli:
      return {"cli", "", name, std::move(ip)};
  }
  return {"cli", "", name, std::move(ip)};
}

Principal Principal::Cli() {
  Principal p;
  p.kind = Kind::kCli;
  p.name = "cli";
  p.role = Role::kAdmin;
  return p;
}

}  // namespace shopcrm::identity
