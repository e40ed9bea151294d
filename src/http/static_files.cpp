#include "http/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/log.h"
#include "util/text.h"

namespace subscriberd::http {
namespace {

namespace fs = std::filesystem;

std::string_view content_type_for(const fs::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".html")
    return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs")
    return "text/javascript; charset=utf-8";
  if (ext == ".css")
    return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map")
    return "application/json";
  if (ext == ".svg")
    return "image/svg+xml";
  if (ext == ".png")
    return "image/png";
  if (ext == ".ico")
    return "image/x-icon";
  if (ext == ".webp")
    return "image/webp";
  if (ext == ".woff2")
    return "font/woff2";
  if (ext == ".txt")
    return "text/plain; charset=utf-8";
  if (ext == ".yaml" || ext == ".yml")
    return "application/yaml";
  return "application/octet-stream";
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return std::move(content).str();
}

// Under /assets/, or ending in an extension the build produces. Page routes such as
// /subscribers/ada@example.com end in a dot too, so only known extensions count.
bool looks_like_a_file(std::string_view path) {
  if (path.starts_with("/assets/"))
    return true;
  const std::size_t slash = path.rfind('/');
  const std::size_t dot = path.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return false;
  }
  const std::string_view ext = path.substr(dot);
  for (std::string_view known : {".js", ".mjs", ".css", ".map", ".html", ".json", ".svg", ".png",
                                 ".ico", ".webp", ".woff2", ".txt", ".yaml", ".gz"}) {
    if (ext == known)
      return true;
  }
  return false;
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
  // Token list: "gzip, deflate, br" or "gzip;q=0" (explicitly refused).
  std::size_t start = 0;
  while (start <= accept_encoding.size()) {
    std::size_t comma = accept_encoding.find(',', start);
    std::string_view item = text::trim(accept_encoding.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    std::size_t semicolon = item.find(';');
    std::string_view coding = text::trim(item.substr(0, semicolon));
    if (text::iequals_ascii(coding, "gzip") || coding == "*") {
      if (semicolon == std::string_view::npos)
        return true;
      std::string_view params = text::trim(item.substr(semicolon + 1));
      return !(params == "q=0" || params == "q=0.0" || params == "q=0.00" || params == "q=0.000");
    }
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
  return false;
}

StaticFiles::StaticFiles(const std::string& root) {
  std::error_code ec;
  if (root.empty() || !fs::is_directory(root, ec)) {
    log::warn("web root not found; the web page is not served", {{"web_root", root}});
    return;
  }
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file())
      continue;
    const fs::path& path = it->path();
    if (path.extension() == ".gz")
      continue;  // attached to their originals below
    std::string url = "/" + fs::relative(path, root).generic_string();
    File file;
    file.content = read_file(path);
    file.content_type = content_type_for(path);
    file.immutable = url.starts_with("/assets/");
    fs::path gz = path;
    gz += ".gz";
    if (fs::is_regular_file(gz))
      file.gzipped = read_file(gz);
    files_.emplace(std::move(url), std::move(file));
  }
}

std::optional<Response> StaticFiles::serve(std::string_view path, std::string_view accept_encoding,
                                           unsigned http_version) const {
  std::string key(path == "/" ? "/index.html" : path);
  if (auto it = files_.find(key); it != files_.end()) {
    return respond(it->second, accept_encoding, http_version);
  }
  // A missing file is a 404, not the page: a browser must not run HTML as a script.
  if (looks_like_a_file(path))
    return std::nullopt;
  if (auto it = files_.find("/index.html"); it != files_.end()) {
    return respond(it->second, accept_encoding, http_version);
  }
  return std::nullopt;
}

Response StaticFiles::respond(const File& file, std::string_view accept_encoding,
                              unsigned version) const {
  Response response{beast_http::status::ok, version};
  response.set(beast_http::field::content_type, file.content_type);
  response.set(beast_http::field::cache_control,
               file.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  response.set("Content-Security-Policy", kContentSecurityPolicy);
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  response.set("X-Frame-Options", "DENY");
  if (file.gzipped) {
    response.set(beast_http::field::vary, "Accept-Encoding");
    if (accepts_gzip(accept_encoding)) {
      response.set(beast_http::field::content_encoding, "gzip");
      response.body() = *file.gzipped;
      return response;
    }
  }
  response.body() = file.content;
  return response;
}

}  // namespace subscriberd::http
