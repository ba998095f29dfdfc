// Node attributes: typed values keyed by name, with their text syntax.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "nutshell/Expected.h"

namespace nutshell::ir {

enum class AttrKind { Int, Float, String, Ints, Floats, Strings };

std::string_view attrKindName(AttrKind kind);  // "int", "float", ...

using AttrValue = std::variant<int64_t, double, std::string, std::vector<int64_t>,
                               std::vector<double>, std::vector<std::string>>;

/// Kind of a stored value (the variant index maps 1:1 onto AttrKind).
inline AttrKind kindOf(const AttrValue& v) { return static_cast<AttrKind>(v.index()); }

/// Explicitly set attributes of one node. Defaults live in ops.def and are
/// returned by Node's getters when a name is absent here.
using AttrMap = std::map<std::string, AttrValue>;

/// Text form of a value, as the printer writes it: 3, 0.5, "relu", [1,1],
/// [0.5,1.0], ["add","relu"]. Floats always carry a '.', 'e', "inf" or "nan" and
/// use the shortest form that reads back to the same float.
std::string formatAttrValue(const AttrValue& value);

/// Parse `text` (the whole string) as a value of `kind`. An int literal is
/// accepted where a float is expected. Errors say what was expected.
Expected<AttrValue> parseAttrValue(std::string_view text, AttrKind kind);

/// Shortest decimal text that reads back to exactly `value` (used for floats
/// in attributes and inline constants).
std::string formatFloat(double value);
std::string formatFloat32(float value);

}  // namespace nutshell::ir
