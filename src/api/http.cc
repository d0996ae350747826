#include "api/http.h"

#include <charconv>

#include "core/id.h"

namespace shopcrm::api {

const std::string& Request::Header(std::string_view lower_name) const {
  static const std::string kEmpty;
  auto it = headers.find(std::string(lower_name));
  return it == headers.end() ? kEmpty : it->second;
}

std::optional<std::string> Request::Query(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::string Request::Cookie(std::string_view name) const {
  std::string_view all = Header("cookie");
  while (!all.empty()) {
    const size_t semi = all.find(';');
    std::string_view part = all.substr(0, semi);
    all = semi == std::string_view::npos ? std::string_view() : all.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const size_t eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name)
      return std::string(part.substr(eq + 1));
  }
  return {};
}

audit::Actor Request::Actor() const {
  if (member_id) return {"member", std::to_string(*member_id), member_external_id, remote_ip};
  if (!principal) return {"anonymous", "", "anonymous", remote_ip};
  return principal->ToActor(remote_ip);
}

std::string_view StatusReason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

Response JsonResponse(int status, const core::Json& body) {
  Response r;
  r.status = status;
  r.body = core::DumpJson(body);
  return r;
}

Response NoContent() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

core::Result<core::Json> ParseJsonBody(const Request& req, const core::JsonLimits& limits) {
  const std::string& type = req.Header("content-type");
  if (!type.starts_with("application/json")) {
    return core::Error(core::ErrorCode::kUnsupportedMediaType, "unsupported_media_type",
                       "send the body as application/json");
  }
  SHOPCRM_ASSIGN_OR_RETURN(core::Json body, core::ParseJson(req.body, limits));
  if (!body.is_object()) {
    return core::InvalidArgument("body_not_object", "the body must be a JSON object");
  }
  return body;
}

core::Result<PageParams> ParsePageParams(const Request& req) {
  PageParams p;
  std::vector<core::FieldError> errors;
  if (auto limit = req.Query("limit")) {
    int v = 0;
    auto [ptr, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), v);
    if (ec != std::errc() || ptr != limit->data() + limit->size() || v < 1 || v > 200) {
      errors.push_back({"limit", "out_of_range", "must be an integer from 1 to 200"});
    } else {
      p.limit = v;
    }
  }
  if (auto cursor = req.Query("cursor")) {
    p.cursor = core::ParseId(*cursor);
    if (!p.cursor) errors.push_back({"cursor", "invalid_cursor", "pass back a next_cursor value"});
  }
  if (!errors.empty()) {
    return core::InvalidFields("invalid_query", std::move(errors));
  }
  return p;
}

core::Result<int64_t> PathId(const Request& req, const std::string& name) {
  auto it = req.path_params.find(name);
  std::optional<int64_t> id =
      it == req.path_params.end() ? std::nullopt : core::ParseId(it->second);
  if (!id) {
    return core::InvalidArgument("invalid_id", name + " must be a positive decimal id",
                                 {{name, "invalid_id", "must be a positive decimal id"}});
  }
  return *id;
}

core::Json TimeOrNull(const std::optional<core::Instant>& t) {
  return t ? core::Json(core::FormatRfc3339(*t)) : core::Json(nullptr);
}

core::Json CursorOrNull(const std::optional<int64_t>& id) {
  return id ? core::Json(std::to_string(*id)) : core::Json(nullptr);
}

}  // namespace shopcrm::api
