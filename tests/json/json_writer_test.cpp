#include "json/json_writer.h"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace subscriberd::json {
namespace {

using namespace std::string_literals;

std::string quote_json(std::string_view value) {
  std::string out;
  append_quoted(out, value);
  return out;
}

// --- append_quoted ------------------------------------------------------------------------

TEST(AppendQuoted, PlainText) {
  EXPECT_EQ(quote_json(""), R"("")");
  EXPECT_EQ(quote_json("ada@example.com"), R"("ada@example.com")");
  EXPECT_EQ(quote_json("a/b <c> & 'd'"), R"("a/b <c> & 'd'")");
}

TEST(AppendQuoted, EveryByteIsTreatedAloneWhereverItSitsInALongRun) {
  // Plain text is scanned eight bytes at a time: a byte that needs escaping must be caught in
  // every lane of the word, and at the unaligned tail.
  for (unsigned byte = 0; byte < 256; ++byte) {
    const std::string alone = quote_json(std::string(1, static_cast<char>(byte)));
    const std::string escaped = alone.substr(1, alone.size() - 2);
    for (std::size_t at = 0; at < 24; ++at) {
      const std::string text =
          std::string(at, 'a') + static_cast<char>(byte) + std::string(23 - at, 'b');
      EXPECT_EQ(quote_json(text),
                '"' + std::string(at, 'a') + escaped + std::string(23 - at, 'b') + '"')
          << "byte " << byte << " at " << at;
    }
  }
}

TEST(AppendQuoted, AppendsToWhatIsThere) {
  std::string out = "x=";
  append_quoted(out, "y");
  EXPECT_EQ(out, R"(x="y")");
}

TEST(AppendQuoted, EscapesQuotesAndBackslashes) {
  EXPECT_EQ(quote_json(R"(say "hi")"), R"("say \"hi\"")");
  EXPECT_EQ(quote_json(R"(C:\dir\)"), R"("C:\\dir\\")");
  EXPECT_EQ(quote_json(R"(\")"), R"("\\\"")");
}

TEST(AppendQuoted, EscapesControlCharacters) {
  EXPECT_EQ(quote_json("a\nb\rc\td"), R"("a\nb\rc\td")");
  EXPECT_EQ(quote_json("\b\f"), R"("\u0008\u000c")");
  EXPECT_EQ(quote_json("\x01\x1F"), R"("\u0001\u001f")");
  EXPECT_EQ(quote_json("\x1B[0m"), R"("\u001b[0m")");
  EXPECT_EQ(quote_json("a\0b"s), R"("a\u0000b")");
}

TEST(AppendQuoted, EscapesDel) {
  EXPECT_EQ(quote_json("\x7F"), R"("\u007f")");
}

TEST(AppendQuoted, PassesWellFormedUtf8Through) {
  EXPECT_EQ(quote_json("Jos\xC3\xA9"), "\"Jos\xC3\xA9\"");
  EXPECT_EQ(quote_json("\xE6\x9D\x8E"), "\"\xE6\x9D\x8E\"");
  EXPECT_EQ(quote_json("\xF0\x9F\x98\x80"), "\"\xF0\x9F\x98\x80\"");
  EXPECT_EQ(quote_json("\xC2\x80"), "\"\xC2\x80\"");  // U+0080 is valid UTF-8; JSON allows it raw
  EXPECT_EQ(quote_json("\xE2\x80\xA8"), "\"\xE2\x80\xA8\"");
  EXPECT_EQ(quote_json("\xED\x9F\xBF\xEE\x80\x80"), "\"\xED\x9F\xBF\xEE\x80\x80\"");
  EXPECT_EQ(quote_json("\xF4\x8F\xBF\xBF"), "\"\xF4\x8F\xBF\xBF\"");
}

TEST(AppendQuoted, ReplacesInvalidUtf8ByteByByte) {
  EXPECT_EQ(quote_json("\xFF"), R"("\ufffd")");
  EXPECT_EQ(quote_json("a\x80z"), R"("a\ufffdz")");
  EXPECT_EQ(quote_json("Jos\xE9"), R"("Jos\ufffd")");                          // Latin-1 é
  EXPECT_EQ(quote_json("\xC3"), R"("\ufffd")");                                // truncated at end
  EXPECT_EQ(quote_json("\xC3\x28"), R"("\ufffd(")");                           // bad continuation
  EXPECT_EQ(quote_json("\xE6\x9Dx"), R"("\ufffd\ufffdx")");                    // truncated 李
  EXPECT_EQ(quote_json("\xC0\xAF"), R"("\ufffd\ufffd")");                      // overlong '/'
  EXPECT_EQ(quote_json("\xE0\x80\xAF"), R"("\ufffd\ufffd\ufffd")");            // overlong '/'
  EXPECT_EQ(quote_json("\xF0\x82\x82\xAC"), R"("\ufffd\ufffd\ufffd\ufffd")");  // overlong U+20AC
  EXPECT_EQ(quote_json("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");            // surrogate U+D800
  EXPECT_EQ(quote_json("\xF4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // U+110000
  EXPECT_EQ(quote_json("\xF5\x80\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // lead byte F5
}

TEST(AppendQuoted, RecoversAfterInvalidBytes) {
  EXPECT_EQ(quote_json("\xFF\xC3\xA9\""), "\"\\ufffd\xC3\xA9\\\"\"");
}

// --- Writer -------------------------------------------------------------------------------

TEST(Writer, ObjectWithEveryKindOfValue) {
  std::string out;
  Writer w(out);
  w.begin_object();
  w.key("s").string("x");
  w.key("n").number(-42);
  w.key("z").null();
  w.key("t").boolean(true);
  w.key("f").boolean(false);
  w.end_object();
  EXPECT_EQ(out, R"({"s":"x","n":-42,"z":null,"t":true,"f":false})");
}

TEST(Writer, EmptyContainers) {
  std::string out;
  Writer w(out);
  w.begin_array().begin_object().end_object().begin_array().end_array().end_array();
  EXPECT_EQ(out, R"([{},[]])");
}

TEST(Writer, CommasInNestedObjectsAndArrays) {
  std::string out;
  Writer w(out);
  w.begin_object();
  w.key("a").begin_object();
  w.key("b").begin_array().number(1).number(2).begin_object().key("c").begin_array().end_array();
  w.end_object().end_array();
  w.key("d").begin_object().end_object();
  w.end_object();
  w.key("e").begin_array().begin_array().end_array().begin_array().number(1).end_array();
  w.end_array();
  w.key("f").string("last");
  w.end_object();
  EXPECT_EQ(out, R"({"a":{"b":[1,2,{"c":[]}],"d":{}},"e":[[],[1]],"f":"last"})");
}

TEST(Writer, ArrayOfObjects) {
  std::string out;
  Writer w(out);
  w.begin_array();
  for (int i = 0; i < 3; ++i)
    w.begin_object().key("i").number(i).key("x").null().end_object();
  w.end_array();
  EXPECT_EQ(out, R"([{"i":0,"x":null},{"i":1,"x":null},{"i":2,"x":null}])");
}

TEST(Writer, ArrayOfScalars) {
  std::string out;
  Writer w(out);
  w.begin_array().string("a").null().boolean(false).number(0).string("").end_array();
  EXPECT_EQ(out, R"(["a",null,false,0,""])");
}

TEST(Writer, NumberExtremes) {
  std::string out;
  Writer w(out);
  w.begin_array()
      .number(std::numeric_limits<std::int64_t>::min())
      .number(std::numeric_limits<std::int64_t>::max())
      .end_array();
  EXPECT_EQ(out, "[-9223372036854775808,9223372036854775807]");
}

TEST(Writer, KeysAndStringsAreEscaped) {
  std::string out;
  Writer w(out);
  w.begin_object().key("k\"\n").string("v\\\x01\xFF").end_object();
  EXPECT_EQ(out, R"({"k\"\n":"v\\\u0001\ufffd"})");
}

TEST(Writer, AppendsToTheCallersString) {
  std::string out = "prefix:";
  Writer w(out);
  w.begin_object().key("a").number(1).end_object();
  EXPECT_EQ(out, R"(prefix:{"a":1})");
}

TEST(Writer, DecimalStringIsTheDigitsQuoted) {
  std::string out;
  Writer w(out);
  w.begin_array()
      .decimal_string(0)
      .decimal_string(7253351292715016193u)
      .decimal_string(std::numeric_limits<std::uint64_t>::max())
      .end_array();
  EXPECT_EQ(out, R"(["0","7253351292715016193","18446744073709551615"])");
}

TEST(Writer, TimestampMillisIsTheRfc3339String) {
  std::string out;
  Writer w(out);
  w.begin_object().key("at").timestamp_millis(1795700701123).key("n").number(1).end_object();
  EXPECT_EQ(out, R"({"at":"2026-11-26T13:45:01.123Z","n":1})");
}

// --- format_rfc3339_millis ----------------------------------------------------------------

TEST(FormatRfc3339Millis, UnixEpoch) {
  EXPECT_EQ(format_rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
}

TEST(FormatRfc3339Millis, MillisecondsArePaddedToThreeDigits) {
  EXPECT_EQ(format_rfc3339_millis(1), "1970-01-01T00:00:00.001Z");
  EXPECT_EQ(format_rfc3339_millis(10), "1970-01-01T00:00:00.010Z");
  EXPECT_EQ(format_rfc3339_millis(100), "1970-01-01T00:00:00.100Z");
  EXPECT_EQ(format_rfc3339_millis(999), "1970-01-01T00:00:00.999Z");
  EXPECT_EQ(format_rfc3339_millis(1000), "1970-01-01T00:00:01.000Z");
}

TEST(FormatRfc3339Millis, LeapDays) {
  EXPECT_EQ(format_rfc3339_millis(1709210096789), "2024-02-29T12:34:56.789Z");
  EXPECT_EQ(format_rfc3339_millis(951868799999), "2000-02-29T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_millis(1709251200000), "2024-03-01T00:00:00.000Z");
}

TEST(FormatRfc3339Millis, DayAndYearBoundaries) {
  EXPECT_EQ(format_rfc3339_millis(1704067199999), "2023-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_millis(1704067200000), "2024-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_millis(1795700701123), "2026-11-26T13:45:01.123Z");
}

TEST(FormatRfc3339Millis, BeforeTheEpoch) {
  EXPECT_EQ(format_rfc3339_millis(-1), "1969-12-31T23:59:59.999Z");
}

TEST(FormatRfc3339Millis, YearsPast9999AreWrittenInFull) {
  EXPECT_EQ(format_rfc3339_millis(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_millis(253402300800000), "10000-01-01T00:00:00.000Z");
}

TEST(TimestampText, EachFormatReplacesTheLast) {
  TimestampText text;
  EXPECT_EQ(text.format(253402300800000), "10000-01-01T00:00:00.000Z");
  EXPECT_EQ(text.format(0), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace subscriberd::json
