#include "ir/Op.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>

#include "ir/Types.h"

namespace nutshell::ir {
namespace {

#define REQUIRED nullptr

// Attribute rows in table order; grouped per op when the tables are built.
struct AttrRow {
  OpKind op;
  AttrSpec spec;
};

constexpr AttrRow kAttrRows[] = {
#define ATTR(Id, Name, Kind, Default, Range) {OpKind::Id, {Name, AttrKind::Kind, Default, Range}},
#include "ir/ops.def"
};

struct OperandsRow {
  OpKind op;
  std::string_view names;
};

constexpr OperandsRow kOperandsRows[] = {
#define OPERANDS(Id, Names) {OpKind::Id, Names},
#include "ir/ops.def"
};

/// A malformed row is a bug in ops.def, caught by every test run.
[[noreturn]] void badRow(std::string_view op, std::string_view attr, const std::string& what) {
  std::fprintf(stderr, "ops.def: bad %s for %s.%s\n", what.c_str(), std::string(op).c_str(),
               std::string(attr).c_str());
  std::abort();
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (!text.empty()) {
    size_t end = text.find(separator);
    std::string_view part = text.substr(0, end);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    parts.push_back(part);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return parts;
}

struct OpRow {
  OpKind kind;
  std::string_view name;
  int minOperands, maxOperands, numResults;
  uint32_t traits;
};

constexpr OpRow kOpRows[] = {
#define OP(Id, Name, MinOperands, MaxOperands, NumResults, Traits, ShapeRule) \
  {OpKind::Id, Name, MinOperands, MaxOperands, NumResults, Traits},
#include "ir/ops.def"
};

/// "" | "a|b|c" | "[N:]lo..hi" with either bound omitted (see ops.def). In a
/// list of choices, "@activation" stands for the name of every op with the
/// Activation trait, so a new activation needs no edit of the lists that
/// accept one.
std::optional<AttrRange> parseRange(std::string_view text, AttrKind kind) {
  AttrRange range;
  if (text.empty()) return range;
  size_t dots = text.find("..");
  if (dots == std::string_view::npos) {
    if (kind != AttrKind::String && kind != AttrKind::Strings) return std::nullopt;
    for (std::string_view choice : split(text, '|')) {
      if (choice != "@activation") {
        range.choices.push_back(choice);
        continue;
      }
      for (const OpRow& row : kOpRows)
        if (row.traits & uint32_t(Trait::Activation)) range.choices.push_back(row.name);
    }
    return range;
  }
  size_t colon = text.find(':');
  if (colon != std::string_view::npos) {
    range.entries = size_t(std::stoul(std::string(text.substr(0, colon))));
    text.remove_prefix(colon + 1);
    dots = text.find("..");
  }
  bool isFloat = kind == AttrKind::Float || kind == AttrKind::Floats;
  double unbounded = isFloat ? std::numeric_limits<double>::infinity() : double(kMaxElements);
  std::string lo(text.substr(0, dots)), hi(text.substr(dots + 2));
  range.bounded = true;
  range.lo = lo.empty() || lo == "-" ? -unbounded : std::stod(lo);
  range.hi = hi.empty() ? unbounded : std::stod(hi);
  return range;
}

struct Tables {
  std::array<OpInfo, kNumOps> infos;
  std::vector<AttrSpec> specs[kNumOps];
  std::vector<AttrValue> defaults[kNumOps];
  std::vector<AttrRange> ranges[kNumOps];
  std::vector<std::string_view> operandNames[kNumOps];
  std::unordered_map<std::string_view, OpKind> byName;

  Tables() {
    for (const AttrRow& row : kAttrRows) specs[size_t(row.op)].push_back(row.spec);
    for (const OperandsRow& row : kOperandsRows) operandNames[size_t(row.op)] = split(row.names, ',');
    for (const OpRow& row : kOpRows) {
      size_t i = size_t(row.kind);
      infos[i] = OpInfo{row.kind, row.name, row.minOperands, row.maxOperands, row.numResults, row.traits,
                        std::span<const AttrSpec>(specs[i])};
      byName.emplace(row.name, row.kind);
      for (const AttrSpec& spec : specs[i]) {
        std::optional<AttrRange> range = parseRange(spec.rangeText, spec.kind);
        if (!range) badRow(row.name, spec.name, "range");
        ranges[i].push_back(std::move(*range));
        if (spec.required()) {
          defaults[i].emplace_back();
          continue;
        }
        Expected<AttrValue> value = parseAttrValue(spec.defaultText, spec.kind);
        if (!value) badRow(row.name, spec.name, "default (" + value.message() + ")");
        defaults[i].push_back(value.take());
      }
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const AttrSpec* OpInfo::findAttr(std::string_view attrName) const {
  for (const AttrSpec& spec : attrs)
    if (spec.name == attrName) return &spec;
  return nullptr;
}

std::string OpInfo::operandName(size_t index) const {
  const std::vector<std::string_view>& names = tables().operandNames[size_t(kind)];
  if (names.size() == 1 && names[0].size() > 3 && names[0].substr(names[0].size() - 3) == "...")
    return std::string(names[0].substr(0, names[0].size() - 3)) + std::to_string(index);
  return index < names.size() ? std::string(names[index]) : std::string("x");
}

const OpInfo& opInfo(OpKind kind) { return tables().infos[size_t(kind)]; }

std::optional<OpKind> lookupOp(std::string_view name) {
  auto it = tables().byName.find(name);
  if (it == tables().byName.end()) return std::nullopt;
  return it->second;
}

/// Position of `attrName` among the op's ATTR rows (the index into the
/// per-op defaults and ranges), or -1.
static int attrIndex(OpKind kind, std::string_view attrName) {
  const auto& specs = tables().specs[size_t(kind)];
  for (size_t i = 0; i < specs.size(); ++i)
    if (specs[i].name == attrName) return int(i);
  return -1;
}

const AttrValue& defaultAttr(OpKind kind, std::string_view attrName) {
  static const AttrValue kNone;
  int i = attrIndex(kind, attrName);
  return i < 0 ? kNone : tables().defaults[size_t(kind)][size_t(i)];
}

const AttrRange& attrRange(OpKind kind, std::string_view attrName) {
  static const AttrRange kAny;
  int i = attrIndex(kind, attrName);
  return i < 0 ? kAny : tables().ranges[size_t(kind)][size_t(i)];
}

}  // namespace nutshell::ir
