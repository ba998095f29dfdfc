#include "ir/Lexer.h"

#include "ir/TextSyntax.h"

namespace nutshell::ir {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool isIdentChar(char c) { return isIdentStart(c) || isDigit(c); }

std::string hexByte(unsigned char c) {
  static const char* hex = "0123456789abcdef";
  return std::string("\\x") + hex[c >> 4] + hex[c & 15];
}

}  // namespace

void Lexer::advance() {
  if (atEnd()) return;
  if (src_[pos_] == '\n') {
    ++line_;
    col_ = 1;
  } else {
    ++col_;
  }
  ++pos_;
}

void Lexer::skipSpaceAndComments() {
  while (!atEnd()) {
    char c = peek();
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      advance();
    } else if (c == '/' && peek(1) == '/') {
      while (!atEnd() && peek() != '\n') advance();
    } else {
      return;
    }
  }
}

Token Lexer::make(Tok kind, size_t begin, int line, int col, std::string text) {
  Token t;
  t.kind = kind;
  t.text = std::move(text);
  t.line = line;
  t.col = col;
  t.begin = begin;
  t.end = pos_;
  return t;
}

bool Lexer::readQuoted(std::string& out, std::string& error) {
  advance();  // opening quote
  while (true) {
    if (atEnd() || peek() == '\n') {
      error = "unterminated string";
      return false;
    }
    char c = peek();
    advance();
    if (c == '"') return true;
    if (c != '\\') {
      out += c;
      continue;
    }
    char esc = peek();
    if (esc == 'n' || esc == '"' || esc == '\\') {
      out += esc == 'n' ? '\n' : esc;
      advance();
    } else if (esc == 'x') {
      advance();
      int value = 0;
      for (int i = 0; i < 2; ++i) {
        char h = peek();
        int digit = isDigit(h) ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
        if (digit < 0) {
          error = "bad \\x escape in string (two hex digits expected)";
          return false;
        }
        value = value * 16 + digit;
        advance();
      }
      out += char(value);
    } else {
      error = "unknown escape '\\" + (atEnd() ? std::string("<end>") : std::string(1, esc)) + "' in string";
      return false;
    }
  }
}

Token Lexer::lexNumber(size_t begin, int line, int col) {
  bool isFloat = false;
  if (peek() == '-') advance();
  while (isDigit(peek())) advance();
  if (peek() == '.') {
    isFloat = true;
    advance();
    while (isDigit(peek())) advance();
  }
  if ((peek() == 'e' || peek() == 'E') &&
      (isDigit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && isDigit(peek(2))))) {
    isFloat = true;
    advance();
    if (peek() == '+' || peek() == '-') advance();
    while (isDigit(peek())) advance();
  }
  return make(isFloat ? Tok::Float : Tok::Int, begin, line, col, std::string(src_.substr(begin, pos_ - begin)));
}

Token Lexer::next() {
  skipSpaceAndComments();
  size_t begin = pos_;
  int line = line_, col = col_;
  if (atEnd()) return make(Tok::Eof, begin, line, col);
  char c = peek();
  if (c == '%' || c == '@') {
    advance();
    Tok kind = c == '%' ? Tok::ValueName : Tok::AtName;
    std::string name, error;
    if (peek() == '"') {
      if (!readQuoted(name, error)) return make(Tok::Error, begin, line, col, error);
      return make(kind, begin, line, col, name);
    }
    size_t nameBegin = pos_;
    size_t nameEnd = pos_;
    while (nameEnd < src_.size() && text::isNameChar(static_cast<unsigned char>(src_[nameEnd]))) ++nameEnd;
    // A trailing ':' separates `%x: type`; it is not part of the name.
    while (nameEnd > nameBegin && src_[nameEnd - 1] == ':') --nameEnd;
    while (pos_ < nameEnd) advance();
    if (nameEnd == nameBegin)
      return make(Tok::Error, begin, line, col, std::string("expected a name after '") + c + "'");
    return make(kind, begin, line, col, std::string(src_.substr(nameBegin, nameEnd - nameBegin)));
  }
  if (c == '"') {
    std::string s, error;
    if (!readQuoted(s, error)) return make(Tok::Error, begin, line, col, error);
    return make(Tok::String, begin, line, col, s);
  }
  if (isDigit(c) || (c == '-' && isDigit(peek(1)))) return lexNumber(begin, line, col);
  if (isIdentStart(c)) {
    while (isIdentChar(peek())) advance();
    return make(Tok::Ident, begin, line, col, std::string(src_.substr(begin, pos_ - begin)));
  }
  if (c == '-' && peek(1) == '>') {
    advance();
    advance();
    return make(Tok::Arrow, begin, line, col, "->");
  }
  Tok kind;
  switch (c) {
    case '(': kind = Tok::LParen; break;
    case ')': kind = Tok::RParen; break;
    case '[': kind = Tok::LBracket; break;
    case ']': kind = Tok::RBracket; break;
    case '{': kind = Tok::LBrace; break;
    case '}': kind = Tok::RBrace; break;
    case '<': kind = Tok::Less; break;
    case '>': kind = Tok::Greater; break;
    case ',': kind = Tok::Comma; break;
    case ':': kind = Tok::Colon; break;
    case '=': kind = Tok::Equal; break;
    case '+': kind = Tok::Plus; break;
    case '-': kind = Tok::Minus; break;
    case '?': kind = Tok::Question; break;
    default: {
      unsigned char u = static_cast<unsigned char>(c);
      std::string shown = (u >= 0x20 && u < 0x7f) ? std::string(1, c) : hexByte(u);
      advance();
      return make(Tok::Error, begin, line, col, "unexpected character '" + shown + "'");
    }
  }
  advance();
  return make(kind, begin, line, col, std::string(1, c));
}

std::string describeToken(const Token& token, std::string_view source) {
  if (token.kind == Tok::Eof) return "end of file";
  std::string_view raw = source.substr(token.begin, token.end - token.begin);
  std::string shown;
  for (unsigned char c : raw.substr(0, 32)) shown += (c >= 0x20 && c < 0x7f) ? std::string(1, char(c)) : hexByte(c);
  if (raw.size() > 32) shown += "...";
  return "'" + shown + "'";
}

}  // namespace nutshell::ir
