#include "ir/Attribute.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace nutshell::ir {

std::string_view attrKindName(AttrKind kind) {
  switch (kind) {
    case AttrKind::Int: return "int";
    case AttrKind::Float: return "float";
    case AttrKind::String: return "string";
    case AttrKind::Ints: return "int list";
    case AttrKind::Floats: return "float list";
    case AttrKind::Strings: return "string list";
  }
  return "?";
}

namespace {

template <class F>
std::string formatShortest(F value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  std::string s(buf, end);
  // Keep floats recognisable as floats in the text form.
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

template <class T, class F>
std::string formatList(const std::vector<T>& values, F format) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) s += ',';
    s += format(values[i]);
  }
  return s + "]";
}

// A tiny cursor over the value text.
struct Cursor {
  std::string_view text;
  size_t pos = 0;
  void skipSpaces() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
  }
  bool atEnd() const { return pos >= text.size(); }
  bool eat(char c) {
    skipSpaces();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
};

Expected<int64_t> parseInt(Cursor& c) {
  c.skipSpaces();
  const char* begin = c.text.data() + c.pos;
  const char* end = c.text.data() + c.text.size();
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(begin, end, v);
  if (ec == std::errc::result_out_of_range) return makeError("integer out of range");
  if (ec != std::errc() || ptr == begin) return makeError("expected an integer");
  c.pos += size_t(ptr - begin);
  return v;
}

Expected<double> parseFloat(Cursor& c) {
  c.skipSpaces();
  std::string_view rest = c.text.substr(c.pos);
  bool negative = !rest.empty() && rest[0] == '-';
  std::string_view body = negative ? rest.substr(1) : rest;
  if (body.substr(0, 3) == "inf") {
    c.pos += (negative ? 1 : 0) + 3;
    return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (body.substr(0, 3) == "nan") {
    c.pos += (negative ? 1 : 0) + 3;
    return std::numeric_limits<double>::quiet_NaN();
  }
  const char* begin = rest.data();
  double v = 0;
  auto [ptr, ec] = std::from_chars(begin, rest.data() + rest.size(), v);
  if (ec == std::errc::result_out_of_range) return makeError("float out of range");
  if (ec != std::errc() || ptr == begin) return makeError("expected a float");
  c.pos += size_t(ptr - begin);
  return v;
}

Expected<std::string> parseString(Cursor& c) {
  c.skipSpaces();
  if (c.atEnd() || c.text[c.pos] != '"') return makeError("expected a quoted string");
  ++c.pos;
  std::string out;
  while (true) {
    if (c.atEnd()) return makeError("unterminated string");
    char ch = c.text[c.pos++];
    if (ch == '"') break;
    if (ch != '\\') {
      out += ch;
      continue;
    }
    if (c.atEnd()) return makeError("unterminated escape in string");
    char esc = c.text[c.pos++];
    if (esc == 'n') {
      out += '\n';
    } else if (esc == '"' || esc == '\\') {
      out += esc;
    } else if (esc == 'x' && c.pos + 2 <= c.text.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(c.text.data() + c.pos, c.text.data() + c.pos + 2, v, 16);
      if (ec != std::errc() || p != c.text.data() + c.pos + 2) return makeError("bad \\x escape in string");
      out += char(v);
      c.pos += 2;
    } else {
      return makeError("unknown escape in string");
    }
  }
  return out;
}

template <class T, class ParseOne>
Expected<std::vector<T>> parseList(Cursor& c, ParseOne parseOne) {
  if (!c.eat('[')) return makeError("expected '['");
  std::vector<T> values;
  if (c.eat(']')) return values;
  while (true) {
    auto v = parseOne(c);
    if (!v) return v.error();
    values.push_back(v.take());
    if (c.eat(']')) return values;
    if (!c.eat(',')) return makeError("expected ',' or ']' in list");
  }
}

Expected<AttrValue> parseAny(Cursor& c, AttrKind kind) {
  switch (kind) {
    case AttrKind::Int: {
      auto v = parseInt(c);
      if (!v) return v.error();
      return AttrValue(*v);
    }
    case AttrKind::Float: {
      auto v = parseFloat(c);
      if (!v) return v.error();
      return AttrValue(*v);
    }
    case AttrKind::String: {
      auto v = parseString(c);
      if (!v) return v.error();
      return AttrValue(v.take());
    }
    case AttrKind::Ints: {
      auto v = parseList<int64_t>(c, parseInt);
      if (!v) return v.error();
      return AttrValue(v.take());
    }
    case AttrKind::Floats: {
      auto v = parseList<double>(c, parseFloat);
      if (!v) return v.error();
      return AttrValue(v.take());
    }
    case AttrKind::Strings: {
      auto v = parseList<std::string>(c, parseString);
      if (!v) return v.error();
      return AttrValue(v.take());
    }
  }
  return makeError("unknown attribute kind");
}

}  // namespace

std::string formatFloat(double value) { return formatShortest(value); }
std::string formatFloat32(float value) { return formatShortest(value); }

std::string formatAttrValue(const AttrValue& value) {
  switch (kindOf(value)) {
    case AttrKind::Int: return std::to_string(std::get<int64_t>(value));
    case AttrKind::Float: return formatFloat(std::get<double>(value));
    case AttrKind::String: return quote(std::get<std::string>(value));
    case AttrKind::Ints:
      return formatList(std::get<std::vector<int64_t>>(value), [](int64_t v) { return std::to_string(v); });
    case AttrKind::Floats: return formatList(std::get<std::vector<double>>(value), formatFloat);
    case AttrKind::Strings: return formatList(std::get<std::vector<std::string>>(value), quote);
  }
  return "?";
}

Expected<AttrValue> parseAttrValue(std::string_view text, AttrKind kind) {
  Cursor c{text};
  auto v = parseAny(c, kind);
  if (!v) return makeError(v.message() + " for a " + std::string(attrKindName(kind)) + " attribute");
  c.skipSpaces();
  if (!c.atEnd()) return makeError("unexpected text after " + std::string(attrKindName(kind)) + " value");
  return v;
}

}  // namespace nutshell::ir
