#include "api/internal/http_parser.h"

#include <charconv>

namespace shopcrm::api::internal {
namespace {

constexpr size_t kMaxHeaderBytes = 64 << 10;
constexpr size_t kMaxTargetBytes = 8 << 10;

ParseStatus Refuse(ParsedRequest& out, int status) {
  out.refusal = status;
  return ParseStatus::kRefused;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerCase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether the comma-separated list `value` holds `token` (case-insensitive).
bool ListHas(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    const std::string_view item = Trim(value.substr(0, comma));
    if (item.size() == token.size() && LowerCase(item) == token) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

enum class Chunked { kNeedMore, kDone, kBad, kTooLarge };

// Walks a chunked body from `pos`, `size` bytes of it decoded before there,
// without copying; on kDone, `end` is one past it and `size` its decoded
// length. With `body` set, appends the decoded bytes to it; with `progress`
// set, records the last chunk boundary reached.
Chunked WalkChunked(std::string_view in, size_t pos, size_t max_body, size_t& end, size_t& size,
                    std::string* body, ChunkProgress* progress) {
  for (;;) {
    if (progress != nullptr) *progress = {pos, size};  // a chunk boundary
    const size_t eol = in.find("\r\n", pos);
    if (eol == std::string_view::npos)
      return in.size() - pos > 1024 ? Chunked::kBad : Chunked::kNeedMore;
    std::string_view size_line = in.substr(pos, eol - pos);
    size_line = size_line.substr(0, size_line.find(';'));  // chunk extensions are ignored
    size_line = Trim(size_line);
    uint64_t chunk = 0;
    const auto [ptr, ec] =
        std::from_chars(size_line.data(), size_line.data() + size_line.size(), chunk, 16);
    if (size_line.empty() || ec != std::errc() || ptr != size_line.data() + size_line.size()) {
      return Chunked::kBad;
    }
    pos = eol + 2;
    if (chunk == 0) {
      // Trailer fields, ignored, up to an empty line.
      for (;;) {
        const size_t line_end = in.find("\r\n", pos);
        if (line_end == std::string_view::npos) return Chunked::kNeedMore;
        const bool empty = line_end == pos;
        pos = line_end + 2;
        if (empty) {
          end = pos;
          return Chunked::kDone;
        }
      }
    }
    if (chunk > max_body || size + chunk > max_body) return Chunked::kTooLarge;
    if (in.size() < pos + chunk + 2) return Chunked::kNeedMore;
    if (in.substr(pos + chunk, 2) != "\r\n") return Chunked::kBad;
    if (body != nullptr) body->append(in.substr(pos, chunk));
    size += chunk;
    pos += chunk + 2;
  }
}

void ParseTarget(std::string_view target, Request& req) {
  // An absolute-form target (a proxy's): keep the path.
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.starts_with(scheme)) {
      target.remove_prefix(scheme.size());
      const size_t slash = target.find('/');
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  const size_t q = target.find('?');
  req.path = PercentDecode(target.substr(0, q), false);
  if (q == std::string_view::npos) return;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      req.query.emplace(
          PercentDecode(pair.substr(0, eq), true),
          eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1), true));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

}  // namespace

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && c == '+') ? ' ' : c;
  }
  return out;
}

ParseStatus ParseRequest(std::string& buffer, size_t max_body_bytes, ParsedRequest& out,
                         ChunkProgress* progress) {
  // Empty lines before a request line are ignored (RFC 9112 §2.2).
  size_t start = 0;
  while (buffer.compare(start, 2, "\r\n") == 0) start += 2;
  if (start > 1024) return Refuse(out, 400);
  const std::string_view in(buffer);
  const size_t line_end = in.find("\r\n", start);
  if (line_end == std::string_view::npos) {
    if (in.size() - start > kMaxTargetBytes) return Refuse(out, 414);
    return ParseStatus::kNeedMore;
  }
  const size_t head_end = in.find("\r\n\r\n", line_end);
  if (head_end == std::string_view::npos) {
    if (in.size() - start > kMaxHeaderBytes) return Refuse(out, 431);
    return ParseStatus::kNeedMore;
  }
  if (head_end + 4 - start > kMaxHeaderBytes) return Refuse(out, 431);

  // The request line: method SP target SP version.
  const std::string_view line = in.substr(start, line_end - start);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return Refuse(out, 400);
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method) || target.empty() || target.find(' ') != std::string_view::npos) {
    return Refuse(out, 400);
  }
  if (target.size() > kMaxTargetBytes) return Refuse(out, 414);
  const bool http10 = version == "HTTP/1.0";
  if (!http10 && version != "HTTP/1.1") return Refuse(out, 400);
  Request& req = out.request;
  out.head = method == "HEAD";
  req.method = out.head ? "GET" : std::string(method);
  if (target.front() != '/' && !target.starts_with("http://") && !target.starts_with("https://")) {
    if (target != "*") return Refuse(out, 400);
  }
  ParseTarget(target, req);
  if (req.path.find('\0') != std::string::npos) return Refuse(out, 400);
  out.http10 = http10;

  // Header fields.
  size_t pos = line_end + 2;
  while (pos < head_end + 2) {
    const size_t eol = in.find("\r\n", pos);
    const std::string_view field = in.substr(pos, eol - pos);
    pos = eol + 2;
    const size_t colon = field.find(':');
    // No colon, whitespace before it, or a folded line: malformed.
    if (colon == std::string_view::npos || !IsToken(field.substr(0, colon))) {
      return Refuse(out, 400);
    }
    const std::string_view value = Trim(field.substr(colon + 1));
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
      return Refuse(out, 400);
    }
    std::string name = LowerCase(field.substr(0, colon));
    // A second framing header a proxy in front might read differently: refused.
    if ((name == "content-length" || name == "transfer-encoding") && req.headers.count(name) != 0 &&
        (name != "content-length" || req.headers.at(name) != value)) {
      return Refuse(out, 400);
    }
    req.headers.emplace(std::move(name), std::string(value));
  }

  const std::string& connection = req.Header("connection");
  out.close = http10 ? !ListHas(connection, "keep-alive") : ListHas(connection, "close");

  // The body.
  const size_t body_start = head_end + 4;
  const auto te = req.headers.find("transfer-encoding");
  const auto cl = req.headers.find("content-length");
  size_t end = body_start;
  if (te != req.headers.end()) {
    if (cl != req.headers.end() || http10) return Refuse(out, 400);
    if (LowerCase(te->second) != "chunked") return Refuse(out, 501);
    // Walked on every read without copying, from where the last read's walk
    // stopped; decoded once whole. Sizes, extensions and trailers count
    // against the limit too, with room for the framing.
    if (in.size() - body_start > max_body_bytes + max_body_bytes / 4 + (64 << 10)) {
      return Refuse(out, 413);
    }
    ChunkProgress from{body_start, 0};
    if (progress != nullptr && progress->resume > body_start) from = *progress;
    size_t decoded = from.decoded;
    switch (WalkChunked(in, from.resume, max_body_bytes, end, decoded, nullptr, progress)) {
      case Chunked::kNeedMore:
        out.expects_continue =
            !http10 && in.size() == body_start && ListHas(req.Header("expect"), "100-continue");
        return ParseStatus::kNeedMore;
      case Chunked::kBad:
        return Refuse(out, 400);
      case Chunked::kTooLarge:
        return Refuse(out, 413);
      case Chunked::kDone:
        req.body.reserve(decoded);
        decoded = 0;
        WalkChunked(in, body_start, max_body_bytes, end, decoded, &req.body, nullptr);
        break;
    }
  } else if (cl != req.headers.end()) {
    const std::string& v = cl->second;
    uint64_t length = 0;
    const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), length);
    if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) return Refuse(out, 400);
    if (length > max_body_bytes) return Refuse(out, 413);
    if (in.size() - body_start < length) {
      out.expects_continue =
          in.size() == body_start && ListHas(req.Header("expect"), "100-continue");
      return ParseStatus::kNeedMore;
    }
    req.body.assign(in.substr(body_start, length));
    end = body_start + length;
  }
  buffer.erase(0, end);
  return ParseStatus::kDone;
}

}  // namespace shopcrm::api::internal
