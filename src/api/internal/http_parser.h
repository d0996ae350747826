// Parsing HTTP/1.1 requests (RFC 9112) from a connection's read buffer.
//
// The request line and headers must end with CRLF CRLF within 64 KiB (431
// otherwise) and the target must be under 8 KiB (414). A body is framed by
// Content-Length or by the chunked transfer coding, never both, never
// repeated with different values and no chunked from HTTP/1.0 (400, which
// closes the door on request smuggling); any other transfer coding is 501.
// CR, LF or NUL inside a field value, or NUL in the decoded path, is 400.
// Header names are lower-cased, a repeated header keeps its first value, the
// path is percent-decoded and the query split into decoded pairs ('+' is a
// space). HEAD is parsed as GET with `head` set.
#pragma once

#include <string>

#include "api/http.h"

namespace shopcrm::api::internal {

enum class ParseStatus {
  kNeedMore,  // not a whole request yet
  kDone,      // `request` is set and its bytes are gone from the buffer
  kRefused,   // `refusal` is the status to answer with; the connection must close
};

struct ParsedRequest {
  Request request;                // method, path, query, headers, body
  bool head = false;              // a HEAD request, parsed as GET
  bool close = false;             // the client asked to close after the answer
  bool http10 = false;            // an HTTP/1.0 client (no chunked answers)
  bool expects_continue = false;  // `Expect: 100-continue` and the body is still to come
  int refusal = 0;
};

// Where the walk of a chunked body stopped: kept by the caller between reads
// of one request, so that each read continues there rather than from the
// start (reset it once a request is done or refused).
struct ChunkProgress {
  size_t resume = 0;   // the offset in the buffer of the last chunk boundary
  size_t decoded = 0;  // body bytes before it
};

// Parses the first request in `buffer`; on kDone removes its bytes.
ParseStatus ParseRequest(std::string& buffer, size_t max_body_bytes, ParsedRequest& out,
                         ChunkProgress* progress = nullptr);

// Percent-decoding; with `plus_is_space`, '+' is a space (query strings).
// Malformed escapes are kept as they are.
std::string PercentDecode(std::string_view s, bool plus_is_space);

}  // namespace shopcrm::api::internal
