// Internal to ir/: tokens of the .nsir text form. Locations are 1-based
// line and byte column, for `file:line:col: message` errors.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace nutshell::ir {

enum class Tok {
  Eof,
  Error,      // text holds the message
  Ident,      // graph, conv2d, f32, N, inf, ...
  ValueName,  // %name or %"quoted"; text holds the decoded name
  AtName,     // @name or @"quoted"
  String,     // "..."; text holds the decoded string
  Int,
  Float,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Less,
  Greater,
  Comma,
  Colon,
  Equal,
  Arrow,
  Plus,
  Minus,
  Question,
};

struct Token {
  Tok kind = Tok::Eof;
  std::string text;
  int line = 1;
  int col = 1;
  size_t begin = 0;  // byte range in the source
  size_t end = 0;
};

class Lexer {
public:
  explicit Lexer(std::string_view source) : src_(source) {}
  Token next();
  size_t offset() const { return pos_; }

private:
  bool atEnd() const { return pos_ >= src_.size(); }
  char peek(size_t ahead = 0) const { return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0'; }
  void advance();
  void skipSpaceAndComments();
  Token make(Tok kind, size_t begin, int line, int col, std::string text = {});
  bool readQuoted(std::string& out, std::string& error);
  Token lexNumber(size_t begin, int line, int col);

  std::string_view src_;
  size_t pos_ = 0;
  int line_ = 1;
  int col_ = 1;
};

/// A short, printable description of a token for messages: 'conv2d', end of file.
std::string describeToken(const Token& token, std::string_view source);

}  // namespace nutshell::ir
