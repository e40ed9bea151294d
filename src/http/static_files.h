#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "http/types.h"

namespace subscriberd::http {

// The built web page, read into memory once at start-up, so serving it never touches the disk
// on a network thread. A changed build is picked up by a restart.
class StaticFiles {
 public:
  // Loads every file under `root`. A missing root leaves the set empty (the API still works).
  explicit StaticFiles(const std::string& root);

  bool empty() const { return files_.empty(); }
  std::size_t size() const { return files_.size(); }

  // Answers GET/HEAD for a non-API path: the file itself, or index.html for a page route
  // (history-mode navigation), or nullopt when neither exists.
  std::optional<Response> serve(std::string_view path, std::string_view accept_encoding,
                                unsigned http_version) const;

  static constexpr std::string_view kContentSecurityPolicy =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
      "form-action 'self'; frame-ancestors 'none'";

 private:
  struct File {
    std::string content;
    std::optional<std::string> gzipped;  // from a precompressed "<name>.gz" beside it
    std::string_view content_type;
    bool immutable = false;  // content-hashed asset: cache for a year
  };

  Response respond(const File& file, std::string_view accept_encoding, unsigned version) const;

  std::unordered_map<std::string, File> files_;  // by URL path: "/index.html"
};

// True when the Accept-Encoding header admits gzip.
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace subscriberd::http
