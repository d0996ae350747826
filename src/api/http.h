// The HTTP request and response as the router and handlers see them: plain
// structs, independent of the HTTP library (which only server.cc includes).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "identity/principal.h"

namespace shopcrm::api {

struct Request {
  std::string method;  // "GET", "POST", …
  std::string path;    // without the query string
  std::string route;   // the matched pattern, e.g. "/api/v1/api-keys/{id}"
  std::map<std::string, std::string> path_params;
  std::multimap<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string remote_ip;
  std::string request_id;
  std::optional<identity::Principal> principal;  // set by authentication
  std::optional<int64_t> member_id;              // set for member routes (Access::kMember)
  std::string member_external_id;

  // A header value or "".
  const std::string& Header(std::string_view lower_name) const;
  // A query parameter's first value.
  std::optional<std::string> Query(const std::string& name) const;
  // The value of cookie `name`, or "".
  std::string Cookie(std::string_view name) const;
  // The audit actor for the authenticated principal.
  audit::Actor Actor() const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is sent in chunks instead of `body`: each call appends
  // the next chunk to its argument and returns false after the last one. It
  // runs after the handler returned, so it must own what it reads.
  std::function<bool(std::string&)> stream;
};

// The reason phrase of an HTTP status ("Not Found"), "Unknown" for one not used here.
std::string_view StatusReason(int status);

// 200/201 with a JSON body.
Response JsonResponse(int status, const core::Json& body);
// 204.
Response NoContent();

// Parses the body as a JSON object: unsupported_media_type unless the content
// type is application/json, then ParseJson's errors, then body_not_object.
core::Result<core::Json> ParseJsonBody(const Request& req, const core::JsonLimits& limits);

struct PageParams {
  int limit = 50;
  std::optional<int64_t> cursor;
};
// Reads `limit` (1..200, default 50) and `cursor` (an id) from the query;
// invalid_query with field errors otherwise.
core::Result<PageParams> ParsePageParams(const Request& req);

// Reads a path parameter that must be an id; invalid_id otherwise.
core::Result<int64_t> PathId(const Request& req, const std::string& name);

// "2026-…Z" or null.
core::Json TimeOrNull(const std::optional<core::Instant>& t);
// A next_cursor value: the id as a string, or null.
core::Json CursorOrNull(const std::optional<int64_t>& id);

}  // namespace shopcrm::api
