#pragma once

#include <stdexcept>
#include <string>

#include <simdjson.h>

// Reads JSON response bodies in tests: doc.str("/subscriber/email"), doc.num("/total").
namespace subscriberd::testing {

class JsonDoc {
 public:
  explicit JsonDoc(const std::string& text) : text_(text) {
    if (parser_.parse(text_).get(root_))
      throw std::runtime_error("not JSON: " + text);
  }

  simdjson::dom::element at(const std::string& pointer) const {
    simdjson::dom::element e;
    if (root_.at_pointer(pointer).get(e))
      throw std::runtime_error("no " + pointer + " in " + text_);
    return e;
  }
  bool has(const std::string& pointer) const {
    simdjson::dom::element e;
    return !root_.at_pointer(pointer).get(e);
  }
  std::string str(const std::string& pointer) const {
    std::string_view v;
    if (at(pointer).get_string().get(v))
      throw std::runtime_error(pointer + " is not a string");
    return std::string(v);
  }
  std::int64_t num(const std::string& pointer) const {
    std::int64_t v = 0;
    if (at(pointer).get_int64().get(v))
      throw std::runtime_error(pointer + " is not an integer");
    return v;
  }
  bool is_null(const std::string& pointer) const { return at(pointer).is_null(); }
  std::size_t array_size(const std::string& pointer) const {
    simdjson::dom::array a;
    if (at(pointer).get_array().get(a))
      throw std::runtime_error(pointer + " is not an array");
    return a.size();
  }

 private:
  std::string text_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
};

}  // namespace subscriberd::testing
