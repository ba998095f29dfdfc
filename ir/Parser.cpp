// The .nsir parser: a recursive-descent reader of the grammar in docs/ir.md
// (no recursion deeper than one list, so no input can exhaust the stack).
// It builds the graph through the Graph API, checks what only the text can
// get wrong (syntax, names, arity, attribute kinds, payload sizes) with
// `file:line:col:` locations, and leaves type rules to the verifier.
#include "ir/Parser.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <unordered_map>

#include "ir/Lexer.h"
#include "ir/TextSyntax.h"
#include "ir/Verifier.h"
#include "nutshell/FileRead.h"

namespace nutshell::ir {
namespace {

struct NodeLocation {
  const Node* node;
  int line, col;
};

struct ParseResult {
  std::unique_ptr<Graph> graph;
  std::vector<NodeLocation> locations;
};

class Parser {
public:
  Parser(std::string_view source, std::string_view fileName, const std::string& weightsPath)
      : src_(source), lexer_(source), file_(fileName), weightsPath_(weightsPath) {
    tok_ = lexer_.next();
  }

  Expected<ParseResult> parse() {
    result_.graph = std::make_unique<Graph>();
    NUTSHELL_TRY(parseHeader());
    while (true) {
      if (tok_.kind == Tok::Ident && tok_.text == "return") break;
      if (tok_.kind == Tok::RBrace) return error(tok_, "missing 'return' before '}'");
      if (tok_.kind == Tok::Eof) return error(tok_, "unexpected end of file: missing 'return' and '}'");
      if (tok_.kind != Tok::ValueName) return unexpected("a node (%name = op ...) or 'return'");
      NUTSHELL_TRY(parseNode());
    }
    NUTSHELL_TRY(parseReturn());
    return std::move(result_);
  }

private:
  // ---- token helpers ------------------------------------------------------------------
  Error error(const Token& at, const std::string& message) const {
    return makeError(std::string(file_) + ":" + std::to_string(at.line) + ":" + std::to_string(at.col) + ": " +
                     message);
  }
  Error unexpected(const std::string& expected) const {
    if (tok_.kind == Tok::Error) return error(tok_, tok_.text);
    return error(tok_, "expected " + expected + ", got " + describeToken(tok_, src_));
  }
  void bump() { tok_ = lexer_.next(); }
  bool isIdent(std::string_view text) const { return tok_.kind == Tok::Ident && tok_.text == text; }
  Status expect(Tok kind, const std::string& what) {
    if (tok_.kind != kind) return unexpected(what);
    bump();
    return Status::success();
  }
  Status expectIdent(std::string_view text) {
    if (!isIdent(text)) return unexpected(std::string("'").append(text).append("'"));
    bump();
    return Status::success();
  }

  // ---- literals -------------------------------------------------------------------------
  Expected<int64_t> parseInt(const std::string& what) {
    Token t = tok_;
    if (t.kind != Tok::Int) return unexpected(what);
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (ec == std::errc::result_out_of_range) return error(t, "integer " + t.text + " out of range");
    if (ec != std::errc() || ptr != t.text.data() + t.text.size()) return error(t, "bad integer " + t.text);
    bump();
    return v;
  }

  Expected<double> parseDouble(const std::string& what) {
    Token t = tok_;
    bool negative = false;
    if (t.kind == Tok::Minus) {
      negative = true;
      bump();
      if (!isIdent("inf")) return unexpected("'inf' after '-'");
    }
    if (isIdent("inf") || isIdent("nan")) {
      double v = tok_.text == "inf" ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
      bump();
      return negative ? -v : v;
    }
    if (t.kind != Tok::Int && t.kind != Tok::Float) return unexpected(what);
    double v = 0;
    auto [ptr, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (ec == std::errc::result_out_of_range) return error(t, "number " + t.text + " out of range");
    if (ec != std::errc() || ptr != t.text.data() + t.text.size()) return error(t, "bad number " + t.text);
    bump();
    return v;
  }

  Expected<float> parseFloat32() {
    Token t = tok_;
    if (t.kind == Tok::Int || t.kind == Tok::Float) {
      float v = 0;
      auto [ptr, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
      if (ec == std::errc::result_out_of_range) return error(t, "number " + t.text + " out of range for f32");
      if (ec != std::errc() || ptr != t.text.data() + t.text.size()) return error(t, "bad number " + t.text);
      bump();
      return v;
    }
    NUTSHELL_ASSIGN(double v, parseDouble("a number"));
    return float(v);
  }

  // ---- types ------------------------------------------------------------------------------
  Expected<TensorType> parseType() {
    if (tok_.kind != Tok::Ident) return unexpected("a type (f32[...], i64[...], bool[...] ...)");
    auto dtype = parseDType(tok_.text);
    if (!dtype)
      return error(tok_,
                   "unknown element type '" + tok_.text + "' (expected f32, i64, bool, i32, i8, u8 or f64)");
    bump();
    TensorType type;
    type.dtype = *dtype;
    NUTSHELL_TRY(expect(Tok::LBracket, "'[' after the element type"));
    if (tok_.kind == Tok::RBracket) {
      bump();
      return type;
    }
    while (true) {
      if (tok_.kind == Tok::Int) {
        Token at = tok_;
        NUTSHELL_ASSIGN(int64_t size, parseInt("a dim"));
        if (size < 0) return error(at, "dim " + std::to_string(size) + " must be >= 0 (or a symbol)");
        type.dims.push_back(Dim(size));
      } else if (tok_.kind == Tok::Ident || tok_.kind == Tok::String || tok_.kind == Tok::Question) {
        if (tok_.text.empty()) return error(tok_, "empty dim symbol");
        type.dims.push_back(Dim::symbolic(tok_.text));
        bump();
      } else {
        return unexpected("a dim (size or symbol)");
      }
      if (tok_.kind == Tok::RBracket) break;
      NUTSHELL_TRY(expect(Tok::Comma, "',' or ']' in the type"));
    }
    bump();
    return type;
  }

  // `@arena+N` after a result type.
  Status parseArena(Value* value) {
    if (!(tok_.kind == Tok::AtName && tok_.text == "arena")) return Status::success();
    bump();
    NUTSHELL_TRY(expect(Tok::Plus, "'+' after @arena"));
    Token at = tok_;
    NUTSHELL_ASSIGN(int64_t offset, parseInt("an arena offset"));
    if (offset < 0) return error(at, "arena offset must be >= 0");
    value->arenaOffset = offset;
    return Status::success();
  }

  // ---- values -----------------------------------------------------------------------------
  Status defineName(const Token& at, const std::string& name) {
    if (name.empty()) return error(at, "empty value name");
    if (values_.count(name)) return error(at, "duplicate value name %" + text::formatName(name));
    return Status::success();
  }

  Expected<Value*> useValue() {
    if (tok_.kind != Tok::ValueName) return unexpected("a value (%name)");
    auto it = values_.find(tok_.text);
    if (it == values_.end()) {
      std::string name = "%" + text::formatName(tok_.text);
      if (definedLater(tok_.text)) return error(tok_, "value " + name + " is used before its definition");
      return error(tok_, "use of undefined value " + name);
    }
    bump();
    return it->second;
  }

  /// Whether `name` is a result name further on (for a clearer message).
  bool definedLater(const std::string& name) const {
    Lexer scan(src_.substr(0));
    std::vector<std::string> pending;  // %a, %b, ... run before a possible '='
    for (Token t = scan.next(); t.kind != Tok::Eof && t.kind != Tok::Error; t = scan.next()) {
      if (t.kind == Tok::ValueName) {
        pending.push_back(t.text);
      } else if (t.kind == Tok::Equal) {
        for (const std::string& p : pending)
          if (p == name && t.begin > tok_.begin) return true;
        pending.clear();
      } else if (t.kind != Tok::Comma) {
        pending.clear();
      }
    }
    return false;
  }

  // ---- graph ------------------------------------------------------------------------------
  Status parseHeader() {
    NUTSHELL_TRY(expectIdent("graph"));
    if (tok_.kind != Tok::AtName) return unexpected("the graph name (@name)");
    result_.graph->name = tok_.text;
    bump();
    NUTSHELL_TRY(expect(Tok::LParen, "'(' before the graph inputs"));
    while (tok_.kind != Tok::RParen) {
      if (tok_.kind != Tok::ValueName) return unexpected("an input (%name: type) or ')'");
      Token at = tok_;
      NUTSHELL_TRY(defineName(at, at.text));
      bump();
      NUTSHELL_TRY(expect(Tok::Colon, "':' after the input name"));
      NUTSHELL_ASSIGN(TensorType type, parseType());
      values_[at.text] = result_.graph->addInput(at.text, type);
      if (tok_.kind == Tok::RParen) break;
      NUTSHELL_TRY(expect(Tok::Comma, "',' or ')' after an input"));
    }
    bump();
    NUTSHELL_TRY(expect(Tok::Arrow, "'->' after the graph inputs"));
    NUTSHELL_TRY(expect(Tok::LParen, "'(' before the output types"));
    while (tok_.kind != Tok::RParen) {
      Token at = tok_;
      NUTSHELL_ASSIGN(TensorType type, parseType());
      outputTypes_.emplace_back(at, type);
      if (tok_.kind == Tok::RParen) break;
      NUTSHELL_TRY(expect(Tok::Comma, "',' or ')' after an output type"));
    }
    bump();
    if (isIdent("arena")) {
      bump();
      Token at = tok_;
      NUTSHELL_ASSIGN(int64_t bytes, parseInt("the arena size in bytes"));
      if (bytes < 0) return error(at, "arena size must be >= 0");
      result_.graph->arenaBytes = bytes;
    }
    return expect(Tok::LBrace, "'{' to open the graph body");
  }

  Status parseReturn() {
    Token at = tok_;
    bump();  // 'return'
    std::vector<Token> where;
    if (tok_.kind == Tok::ValueName) {
      while (true) {
        where.push_back(tok_);
        NUTSHELL_ASSIGN(Value * v, useValue());
        result_.graph->outputs.push_back(v);
        if (tok_.kind != Tok::Comma) break;
        bump();
      }
    }
    NUTSHELL_TRY(expect(Tok::RBrace, "'}' after 'return'"));
    if (tok_.kind != Tok::Eof) return unexpected("end of file after '}'");
    if (where.size() != outputTypes_.size())
      return error(at, "'return' has " + std::to_string(where.size()) + " values but the header declares " +
                           std::to_string(outputTypes_.size()) + " output types");
    for (size_t i = 0; i < where.size(); ++i) {
      const TensorType& actual = result_.graph->outputs[i]->type;
      if (!(actual == outputTypes_[i].second))
        return error(outputTypes_[i].first, "output " + std::to_string(i) + " is declared " +
                                                text::formatType(outputTypes_[i].second) + " but %" +
                                                text::formatName(where[i].text) + " has type " +
                                                text::formatType(actual));
    }
    return Status::success();
  }

  // ---- nodes ------------------------------------------------------------------------------
  Status parseNode() {
    Token start = tok_;
    std::vector<Token> names;
    while (true) {
      if (tok_.kind != Tok::ValueName) return unexpected("a result name (%name)");
      NUTSHELL_TRY(defineName(tok_, tok_.text));
      for (const Token& n : names)
        if (n.text == tok_.text) return error(tok_, "duplicate value name %" + text::formatName(tok_.text));
      names.push_back(tok_);
      bump();
      if (tok_.kind != Tok::Comma) break;
      bump();
    }
    NUTSHELL_TRY(expect(Tok::Equal, "'=' after the result names"));
    if (tok_.kind != Tok::Ident) return unexpected("an op name");
    Token opTok = tok_;
    std::optional<OpKind> op = lookupOp(opTok.text);
    if (!op) return error(opTok, "unknown op '" + opTok.text + "'");
    const OpInfo& info = opInfo(*op);
    bump();
    if (int(names.size()) != info.numResults)
      return error(start, "op '" + opTok.text + "' has " + std::to_string(info.numResults) + " result(s), got " +
                              std::to_string(names.size()) + " name(s)");
    Node* node = nullptr;
    if (*op == OpKind::Const) {
      NUTSHELL_ASSIGN(node, parseConst(names[0]));
    } else {
      NUTSHELL_ASSIGN(node, parseGenericNode(*op, opTok, names));
    }
    result_.locations.push_back({node, start.line, start.col});
    for (Value* r : node->results) values_[r->name] = r;
    return Status::success();
  }

  Expected<Node*> parseGenericNode(OpKind op, const Token& opTok, const std::vector<Token>& names) {
    const OpInfo& info = opInfo(op);
    NUTSHELL_TRY(expect(Tok::LParen, "'(' after the op name"));
    std::vector<Value*> operands;
    while (tok_.kind != Tok::RParen) {
      NUTSHELL_ASSIGN(Value * v, useValue());
      operands.push_back(v);
      if (tok_.kind == Tok::RParen) break;
      NUTSHELL_TRY(expect(Tok::Comma, "',' or ')' after an operand"));
    }
    bump();
    int count = int(operands.size());
    if (count < info.minOperands || (info.maxOperands >= 0 && count > info.maxOperands)) {
      std::string range = info.maxOperands < 0 ? "at least " + std::to_string(info.minOperands)
                          : info.minOperands == info.maxOperands
                              ? std::to_string(info.minOperands)
                              : std::to_string(info.minOperands) + " to " + std::to_string(info.maxOperands);
      return error(opTok, "op '" + opTok.text + "' expects " + range + " operands, got " + std::to_string(count));
    }
    AttrMap attrs;
    if (tok_.kind == Tok::LBrace) NUTSHELL_TRY(parseAttrs(info, attrs));
    NUTSHELL_TRY(expect(Tok::Colon, "':' before the result types"));
    std::vector<TensorType> types;
    std::vector<int64_t> arenas;
    for (size_t i = 0; i < names.size(); ++i) {
      if (i) NUTSHELL_TRY(expect(Tok::Comma, "',' and the next result type"));
      NUTSHELL_ASSIGN(TensorType type, parseType());
      types.push_back(type);
      Value scratch;
      NUTSHELL_TRY(parseArena(&scratch));
      arenas.push_back(scratch.arenaOffset);
    }
    std::vector<std::string> resultNames;
    for (const Token& n : names) resultNames.push_back(n.text);
    Node* node = result_.graph->addNode(op, operands, types, std::move(attrs), resultNames);
    for (size_t i = 0; i < arenas.size(); ++i) node->results[i]->arenaOffset = arenas[i];
    return node;
  }

  Status parseAttrs(const OpInfo& info, AttrMap& attrs) {
    bump();  // '{'
    while (tok_.kind != Tok::RBrace) {
      if (tok_.kind != Tok::Ident) return unexpected("an attribute name");
      Token at = tok_;
      const AttrSpec* spec = info.findAttr(at.text);
      if (!spec) return error(at, "unknown attribute '" + at.text + "' for op '" + std::string(info.name) + "'");
      if (attrs.count(at.text)) return error(at, "duplicate attribute '" + at.text + "'");
      bump();
      NUTSHELL_TRY(expect(Tok::Equal, "'=' after the attribute name"));
      NUTSHELL_ASSIGN(AttrValue value, parseAttrValueTokens(*spec));
      attrs.emplace(at.text, std::move(value));
      if (tok_.kind == Tok::RBrace) break;
      NUTSHELL_TRY(expect(Tok::Comma, "',' or '}' after an attribute"));
    }
    bump();
    return Status::success();
  }

  Expected<AttrValue> parseAttrValueTokens(const AttrSpec& spec) {
    std::string suffix = " for attribute '" + std::string(spec.name) + "'";
    auto one = [&](AttrKind kind) -> Expected<AttrValue> {
      if (kind == AttrKind::Int) {
        NUTSHELL_ASSIGN(int64_t v, parseInt("an int" + suffix));
        return AttrValue(v);
      }
      if (kind == AttrKind::Float) {
        NUTSHELL_ASSIGN(double v, parseDouble("a float" + suffix));
        return AttrValue(v);
      }
      if (tok_.kind != Tok::String) return unexpected("a string" + suffix);
      std::string s = tok_.text;
      bump();
      return AttrValue(std::move(s));
    };
    if (spec.kind == AttrKind::Int || spec.kind == AttrKind::Float || spec.kind == AttrKind::String)
      return one(spec.kind);
    AttrKind element = spec.kind == AttrKind::Ints ? AttrKind::Int
                       : spec.kind == AttrKind::Floats ? AttrKind::Float
                                                       : AttrKind::String;
    if (tok_.kind != Tok::LBracket) return unexpected("'[' (" + std::string(attrKindName(spec.kind)) + ")" + suffix);
    bump();
    std::vector<int64_t> ints;
    std::vector<double> floats;
    std::vector<std::string> strings;
    while (tok_.kind != Tok::RBracket) {
      NUTSHELL_ASSIGN(AttrValue v, one(element));
      if (element == AttrKind::Int) ints.push_back(std::get<int64_t>(v));
      if (element == AttrKind::Float) floats.push_back(std::get<double>(v));
      if (element == AttrKind::String) strings.push_back(std::get<std::string>(v));
      if (tok_.kind == Tok::RBracket) break;
      NUTSHELL_TRY(expect(Tok::Comma, "',' or ']' in the list"));
    }
    bump();
    if (element == AttrKind::Int) return AttrValue(std::move(ints));
    if (element == AttrKind::Float) return AttrValue(std::move(floats));
    return AttrValue(std::move(strings));
  }

  // ---- constants --------------------------------------------------------------------------
  Expected<Node*> parseConst(const Token& name) {
    Token typeTok = tok_;
    NUTSHELL_ASSIGN(TensorType type, parseType());
    if (!type.isStatic()) return error(typeTok, "const type " + text::formatType(type) + " must be static");
    int64_t count = type.numElements();
    if (count < 0) return error(typeTok, "dims too large: " + text::formatType(type));
    auto data = std::make_shared<TensorData>();
    data->type = type;
    Token payloadTok = tok_;
    if (tok_.kind == Tok::Less) {
      bump();
      NUTSHELL_TRY(expectIdent("elided"));
      NUTSHELL_TRY(expect(Tok::Greater, "'>' after <elided"));
      data->elided = true;
    } else if (isIdent("dense")) {
      bump();
      NUTSHELL_TRY(expect(Tok::Less, "'<' after dense"));
      NUTSHELL_TRY(expect(Tok::LBracket, "'[' to open the dense values"));
      int64_t seen = 0;
      while (tok_.kind != Tok::RBracket) {
        if (seen == count)
          return error(tok_, "dense payload has more than " + std::to_string(count) + " values for type " +
                                 text::formatType(type));
        if (isFloatType(type.dtype)) {
          NUTSHELL_ASSIGN(float v, parseFloat32());
          data->f32.push_back(v);
        } else {
          NUTSHELL_ASSIGN(int64_t v, parseInt("an integer value"));
          data->i64.push_back(v);
        }
        ++seen;
        if (tok_.kind == Tok::RBracket) break;
        NUTSHELL_TRY(expect(Tok::Comma, "',' or ']' in the dense values"));
      }
      bump();
      NUTSHELL_TRY(expect(Tok::Greater, "'>' to close dense<...>"));
      if (seen != count)
        return error(payloadTok, "dense payload has " + std::to_string(seen) + " values, type " +
                                     text::formatType(type) + " needs " + std::to_string(count));
    } else if (tok_.kind == Tok::AtName && tok_.text == "weights") {
      bump();
      NUTSHELL_TRY(expect(Tok::LBracket, "'[' after @weights"));
      Token indexTok = tok_;
      NUTSHELL_ASSIGN(int64_t index, parseInt("a weights index"));
      NUTSHELL_TRY(expect(Tok::RBracket, "']' after the weights index"));
      NUTSHELL_TRY(loadWeights(indexTok, index, *data));
    } else {
      return unexpected("a const payload (dense<[...]>, @weights[K] or <elided>)");
    }
    Node* node = result_.graph->addNode(OpKind::Const, {}, {type}, {}, {name.text});
    node->constant = std::move(data);
    NUTSHELL_TRY(parseArena(node->results[0]));
    return node;
  }

  Status loadWeights(const Token& at, int64_t index, TensorData& data) {
    if (!weights_) {
      if (weightsPath_.empty())
        return error(at, "@weights[" + std::to_string(index) + "] needs a weights file, but none was given");
      auto bytes = readRegularFile(weightsPath_, "weights file");
      if (!bytes) return error(at, "cannot read weights file " + weightsPath_ + ": " + bytes.message());
      auto decoded = text::decodeWeights(*bytes, weightsPath_);
      if (!decoded) return error(at, decoded.message());
      weights_ = decoded.take();
    }
    if (index < 0 || index >= int64_t(weights_->size()))
      return error(at, "weights index " + std::to_string(index) + " out of range (the file holds " +
                           std::to_string(weights_->size()) + " tensors)");
    const text::RawWeights& raw = (*weights_)[size_t(index)];
    // The file holds payloads as TensorData stores them: f32 or i64 values.
    uint32_t dtype = isFloatType(data.type.dtype) ? 0 : 1;
    const size_t width = dtype == 0 ? 4 : 8;
    size_t expected = size_t(data.type.numElements()) * width;
    if (raw.dtype != dtype || raw.bytes.size() != expected)
      return error(at, "weights tensor " + std::to_string(index) + " (" + (raw.dtype == 0 ? "f32" : "i64") + ", " +
                           std::to_string(raw.bytes.size()) + " bytes) does not match type " +
                           text::formatType(data.type));
    const auto* p = reinterpret_cast<const unsigned char*>(raw.bytes.data());
    size_t n = size_t(data.type.numElements());
    for (size_t i = 0; i < n; ++i) {
      uint64_t v = 0;
      for (size_t b = 0; b < width; ++b) v |= uint64_t(p[i * width + b]) << (8 * b);
      if (dtype == 0) {
        uint32_t bits = uint32_t(v);
        float f;
        std::memcpy(&f, &bits, 4);
        data.f32.push_back(f);
      } else {
        data.i64.push_back(int64_t(v));
      }
    }
    return Status::success();
  }

  std::string_view src_;
  Lexer lexer_;
  std::string_view file_;
  std::string weightsPath_;
  Token tok_;
  ParseResult result_;
  std::unordered_map<std::string, Value*> values_;
  std::vector<std::pair<Token, TensorType>> outputTypes_;
  std::optional<std::vector<text::RawWeights>> weights_;
};

uint64_t readLE(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(p[i]) << (8 * i);
  return v;
}

}  // namespace

Expected<std::vector<text::RawWeights>> text::decodeWeights(std::string_view bytes, const std::string& path) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t size = bytes.size();
  if (size < 16 || bytes.substr(0, 8) != std::string_view(kWeightsMagic, 8))
    return makeError(path + ": not a nutshell weights file (bad magic)");
  uint32_t version = uint32_t(readLE(p + 8, 4));
  if (version != kWeightsVersion)
    return makeError(path + ": unsupported weights file version " + std::to_string(version));
  uint64_t count = readLE(p + 12, 4);
  std::vector<RawWeights> tensors;
  size_t pos = 16;
  for (uint64_t i = 0; i < count; ++i) {
    if (size - pos < 16) return makeError(path + ": truncated at tensor " + std::to_string(i));
    RawWeights t;
    t.dtype = uint32_t(readLE(p + pos, 4));
    uint64_t length = readLE(p + pos + 8, 8);
    pos += 16;
    if (t.dtype > 1) return makeError(path + ": tensor " + std::to_string(i) + " has unknown dtype code");
    if (length > size - pos) return makeError(path + ": truncated at tensor " + std::to_string(i));
    t.bytes.assign(bytes.data() + pos, size_t(length));
    pos += size_t(length);
    tensors.push_back(std::move(t));
  }
  if (pos != size) return makeError(path + ": trailing bytes after the last tensor");
  return tensors;
}

Expected<std::unique_ptr<Graph>> parseGraph(std::string_view source, std::string_view fileName,
                                            const std::string& weightsPath) {
  NUTSHELL_ASSIGN(ParseResult result, Parser(source, fileName, weightsPath).parse());
  return std::move(result.graph);
}

Expected<std::unique_ptr<Graph>> parseGraphFile(const std::string& path) {
  auto bytes = readRegularFile(path, "IR file");
  if (!bytes) return makeError(path + ": cannot read file: " + bytes.message());
  std::string source = bytes.take();
  NUTSHELL_ASSIGN(ParseResult result, Parser(source, path, path + ".weights").parse());
  // Node checks carry the node's location; graph-level ones the file name.
  for (const NodeLocation& loc : result.locations) {
    Status status = verifyNode(*loc.node);
    if (!status)
      return makeError(path + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col) + ": " +
                       status.message());
  }
  Status status = verifyGraph(*result.graph);
  if (!status) return makeError(path + ": " + status.message());
  return std::move(result.graph);
}

}  // namespace nutshell::ir
