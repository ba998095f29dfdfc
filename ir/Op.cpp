#include "ir/Op.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>

namespace nutshell::ir {
namespace {

#define REQUIRED nullptr

// Attribute rows in table order; grouped per op when the tables are built.
struct AttrRow {
  OpKind op;
  AttrSpec spec;
};

constexpr AttrRow kAttrRows[] = {
#define ATTR(Id, Name, Kind, Default) {OpKind::Id, {Name, AttrKind::Kind, Default}},
#include "ir/ops.def"
};

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

struct Tables {
  std::array<OpInfo, kNumOps> infos;
  std::vector<AttrSpec> specs[kNumOps];
  std::vector<AttrValue> defaults[kNumOps];
  std::unordered_map<std::string_view, OpKind> byName;

  Tables() {
    for (const AttrRow& row : kAttrRows) specs[size_t(row.op)].push_back(row.spec);
    for (const OpRow& row : kOpRows) {
      size_t i = size_t(row.kind);
      infos[i] = OpInfo{row.kind, row.name, row.minOperands, row.maxOperands, row.numResults, row.traits,
                        std::span<const AttrSpec>(specs[i])};
      byName.emplace(row.name, row.kind);
      for (const AttrSpec& spec : specs[i]) {
        if (spec.required()) {
          defaults[i].emplace_back();
          continue;
        }
        Expected<AttrValue> value = parseAttrValue(spec.defaultText, spec.kind);
        if (!value) {
          // A malformed default is a bug in ops.def, caught by every test run.
          std::fprintf(stderr, "ops.def: bad default for %s.%s: %s\n", std::string(row.name).c_str(),
                       std::string(spec.name).c_str(), value.message().c_str());
          std::abort();
        }
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

const OpInfo& opInfo(OpKind kind) { return tables().infos[size_t(kind)]; }

std::optional<OpKind> lookupOp(std::string_view name) {
  auto it = tables().byName.find(name);
  if (it == tables().byName.end()) return std::nullopt;
  return it->second;
}

const AttrValue& defaultAttr(OpKind kind, std::string_view attrName) {
  const Tables& t = tables();
  const auto& specs = t.specs[size_t(kind)];
  for (size_t i = 0; i < specs.size(); ++i)
    if (specs[i].name == attrName) return t.defaults[size_t(kind)][i];
  static const AttrValue kNone;
  return kNone;
}

}  // namespace nutshell::ir
