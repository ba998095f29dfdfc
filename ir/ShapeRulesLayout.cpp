// Shape rules of the layout ops (reshape, flatten, transpose, concat, slice,
// pad, tile, expand, depth_to_space, space_to_depth) and of the ONNX shape
// ops (shape, gather, unsqueeze, squeeze, constant_of_shape, cast).
//
// Where a result depends on values computed at run time (a reshape whose
// target comes from a non-constant operand), the dims are `?` until the
// operand folds to a constant; knownValues() looks through const nodes and
// shape sub-graphs so that most ONNX reshapes get static shapes right away.
#include <algorithm>
#include <limits>
#include <string>

#include "ir/ShapeInference.h"
#include "ir/ShapeRuleSupport.h"

namespace nutshell::ir::rules {
namespace {

std::string intsStr(const std::vector<int64_t>& v) { return formatAttrValue(AttrValue(v)); }

/// Product of dims [begin,end): static when all are; the one symbol when the
/// others are all 1; `?` otherwise.
Expected<Dim> productDim(const Node& node, const std::vector<Dim>& dims, size_t begin, size_t end) {
  int64_t product = 1;
  const Dim* symbol = nullptr;
  int symbols = 0;
  for (size_t i = begin; i < end; ++i) {
    if (!dims[i].isStatic()) {
      symbol = &dims[i];
      ++symbols;
      continue;
    }
    if (!checkedMul(product, dims[i].size, product)) return nodeError(node, "dims too large");
  }
  if (symbols == 0) return Dim(product);
  if (symbols == 1 && product == 1) return *symbol;
  return unknownDim();
}

/// Splits dims into the product of the static ones and the list of symbols.
bool splitDims(const std::vector<Dim>& dims, int64_t& staticProduct, std::vector<std::string>& symbols) {
  staticProduct = 1;
  for (const Dim& d : dims) {
    if (d.isStatic()) {
      if (!checkedMul(staticProduct, d.size, staticProduct)) return false;
    } else {
      symbols.push_back(d.symbol);
    }
  }
  return true;
}

}  // namespace

Expected<Types> inferReshape(const Node& node) {
  const TensorType& x = node.operands[0]->type;
  std::vector<int64_t> target;
  if (node.operands.size() == 2) {
    NUTSHELL_TRY(requireI64(node, 1));
    NUTSHELL_TRY(requireRank(node, 1, 1));
    if (!node.getInts("shape").empty())
      return nodeError(node, "the target shape comes from the shape attribute or from an operand, not both");
    auto values = knownValues(node.operands[1]);
    if (!values) {
      const Dim& length = node.operands[1]->type.dims[0];
      if (!length.isStatic()) return nodeError(node, "shape operand must have a static length");
      return Types{TensorType(x.dtype, std::vector<Dim>(size_t(length.size), unknownDim()))};
    }
    target = *values;
  } else {
    target = node.getInts("shape");
  }

  std::vector<Dim> out;
  int inferIndex = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t v = target[i];
    if (v == 0) {
      if (i >= x.rank())
        return nodeError(node, "shape " + intsStr(target) + " copies dim " + std::to_string(i) +
                                   " (0) but the input has rank " + std::to_string(x.rank()));
      out.push_back(x.dims[i]);
    } else if (v == -1) {
      if (inferIndex >= 0) return nodeError(node, "shape " + intsStr(target) + " has more than one -1");
      inferIndex = int(i);
      out.push_back(Dim(1));  // placeholder
    } else if (v < -1) {
      return nodeError(node, "shape " + intsStr(target) + " has a negative size");
    } else {
      if (v > kMaxElements) return nodeError(node, "dims too large in shape " + intsStr(target));
      out.push_back(Dim(v));
    }
  }
  int64_t inStatic = 1, outStatic = 1;
  std::vector<std::string> inSymbols, outSymbols;
  if (!splitDims(x.dims, inStatic, inSymbols) || !splitDims(out, outStatic, outSymbols))
    return nodeError(node, "dims too large in shape " + intsStr(target));
  // Symbols copied by 0 cancel against the same symbols of the input.
  for (const std::string& s : outSymbols) {
    auto it = std::find(inSymbols.begin(), inSymbols.end(), s);
    if (it != inSymbols.end() && s != kUnknownSymbol) {
      inSymbols.erase(it);
    } else {
      inSymbols.push_back("?");  // cannot cancel: the element counts are not comparable
      break;
    }
  }
  bool comparable = std::none_of(inSymbols.begin(), inSymbols.end(), [](auto& s) { return s == kUnknownSymbol; });
  if (inferIndex < 0) {
    if (inSymbols.empty() && inStatic != outStatic)
      return nodeError(node, "cannot reshape " + x.str() + " (" + std::to_string(inStatic) + " elements) to " +
                                 intsStr(target) + " (" + std::to_string(outStatic) + " elements)");
    return Types{TensorType(x.dtype, out)};
  }
  Dim& inferred = out[size_t(inferIndex)];
  if (inSymbols.empty()) {
    if (outStatic == 0 || inStatic % outStatic != 0)
      return nodeError(node, "cannot reshape " + x.str() + " (" + std::to_string(inStatic) + " elements) to " +
                                 intsStr(target));
    inferred = Dim(inStatic / outStatic);
  } else if (comparable && inSymbols.size() == 1 && inStatic == outStatic) {
    inferred = Dim::symbolic(inSymbols[0]);
  } else {
    inferred = unknownDim();
  }
  return Types{TensorType(x.dtype, out)};
}

Expected<Types> inferFlatten(const Node& node) {
  const TensorType& x = node.operands[0]->type;
  int64_t rank = int64_t(x.rank());
  int64_t axis = node.getInt("axis");
  if (axis < -rank || axis > rank)
    return nodeError(node, "axis " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
  if (axis < 0) axis += rank;
  NUTSHELL_ASSIGN(Dim outer, productDim(node, x.dims, 0, size_t(axis)));
  NUTSHELL_ASSIGN(Dim inner, productDim(node, x.dims, size_t(axis), x.rank()));
  return Types{TensorType(x.dtype, {outer, inner})};
}

Expected<Types> inferTranspose(const Node& node) {
  const TensorType& x = node.operands[0]->type;
  std::vector<int64_t> perm = node.getInts("perm");
  if (perm.empty())
    for (size_t i = 0; i < x.rank(); ++i) perm.push_back(int64_t(x.rank() - 1 - i));
  if (perm.size() != x.rank())
    return nodeError(node, "perm " + intsStr(perm) + " has " + std::to_string(perm.size()) +
                               " entries for rank " + std::to_string(x.rank()));
  std::vector<bool> seen(x.rank(), false);
  std::vector<Dim> out;
  for (int64_t p : perm) {
    if (p < 0 || p >= int64_t(x.rank()) || seen[size_t(p)])
      return nodeError(node, "perm " + intsStr(perm) + " is not a permutation of the axes");
    seen[size_t(p)] = true;
    out.push_back(x.dims[size_t(p)]);
  }
  return Types{TensorType(x.dtype, out)};
}

Expected<Types> inferConcat(const Node& node) {
  const TensorType& first = node.operands[0]->type;
  NUTSHELL_ASSIGN(int64_t axis, normalizeAxis(node, node.getInt("axis"), int64_t(first.rank()), "axis"));
  TensorType out = first;
  bool sumStatic = true;
  int64_t sum = 0;
  for (size_t i = 0; i < node.operands.size(); ++i) {
    const TensorType& t = node.operands[i]->type;
    if (t.dtype != first.dtype) return nodeError(node, "operand dtypes differ");
    if (t.rank() != first.rank()) return nodeError(node, "operand ranks differ");
    for (size_t k = 0; k < t.rank(); ++k) {
      if (int64_t(k) == axis) continue;
      if (!dimsCompatible(t.dims[k], out.dims[k]))
        return nodeError(node, "dim " + std::to_string(k) + " differs: " + dimStr(t.dims[k]) + " vs " +
                                   dimStr(out.dims[k]) + " (concat axis " + std::to_string(axis) + ")");
      if (!out.dims[k].isStatic() && t.dims[k].isStatic()) out.dims[k] = t.dims[k];
    }
    const Dim& d = t.dims[size_t(axis)];
    if (!d.isStatic())
      sumStatic = false;
    else if (!checkedAdd(sum, d.size, sum))
      return nodeError(node, "dims too large along axis " + std::to_string(axis));
  }
  out.dims[size_t(axis)] = sumStatic ? Dim(sum) : node.operands.size() == 1 ? first.dims[size_t(axis)] : unknownDim();
  return Types{out};
}

Expected<Types> inferSlice(const Node& node) {
  const TensorType& x = node.operands[0]->type;
  const auto& starts = node.getInts("starts");
  const auto& ends = node.getInts("ends");
  std::vector<int64_t> axes = node.getInts("axes");
  std::vector<int64_t> steps = node.getInts("steps");
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(int64_t(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  TensorType out = x;
  std::vector<bool> seen(x.rank(), false);
  for (size_t i = 0; i < starts.size(); ++i) {
    NUTSHELL_ASSIGN(int64_t axis, normalizeAxis(node, axes[i], int64_t(x.rank()), "axes"));
    if (seen[size_t(axis)]) return nodeError(node, "axis " + std::to_string(axes[i]) + " repeated in axes");
    seen[size_t(axis)] = true;
    const Dim& d = x.dims[size_t(axis)];
    int64_t start = starts[i], end = ends[i], step = steps[i];
    if (!d.isStatic()) {
      // Only the whole axis keeps its symbol.
      bool whole = start == 0 && step == 1 && end >= kMaxElements;
      out.dims[size_t(axis)] = whole ? d : unknownDim();
      continue;
    }
    int64_t n = d.size;
    // ONNX Slice: negative indices count from the end, then clamp.
    if (start < 0) start = std::max<int64_t>(start, -n - 1) + n;
    if (end < 0) end = std::max<int64_t>(end, -n - 1) + n;
    int64_t length = 0;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, n);
      end = std::clamp<int64_t>(end, 0, n);
      if (end > start) length = (end - start + step - 1) / step;
    } else {
      start = std::clamp<int64_t>(start, 0, n - 1);
      end = std::clamp<int64_t>(end, -1, n - 1);
      if (start > end) length = (start - end + (-step) - 1) / (-step);
    }
    out.dims[size_t(axis)] = Dim(length);
  }
  return Types{out};
}

Expected<Types> inferPad(const Node& node) {
  NUTSHELL_TRY(requireF32(node, 0));
  const TensorType& x = node.operands[0]->type;
  const auto& pads = node.getInts("pads");
  if (pads.size() != 2 * x.rank())
    return nodeError(node, "pads " + intsStr(pads) + " must have 2*rank = " + std::to_string(2 * x.rank()) +
                               " entries");
  TensorType out = x;
  for (size_t i = 0; i < x.rank(); ++i) {
    int64_t begin = pads[i], end = pads[i + x.rank()];
    if (!x.dims[i].isStatic()) {
      if (begin != 0 || end != 0) out.dims[i] = unknownDim();
      continue;
    }
    int64_t size = 0;
    if (!checkedAdd(x.dims[i].size, begin, size) || !checkedAdd(size, end, size))
      return nodeError(node, "dims too large with pads " + intsStr(pads));
    if (size < 0) return nodeError(node, "pads " + intsStr(pads) + " leave a negative size on axis " + std::to_string(i));
    out.dims[i] = Dim(size);
  }
  return Types{out};
}

Expected<Types> inferTile(const Node& node) {
  const TensorType& x = node.operands[0]->type;
  const auto& repeats = node.getInts("repeats");
  if (repeats.size() != x.rank())
    return nodeError(node, "repeats " + intsStr(repeats) + " must have one entry per axis (" +
                               std::to_string(x.rank()) + ")");
  TensorType out = x;
  for (size_t i = 0; i < x.rank(); ++i) {
    if (repeats[i] == 1) continue;
    if (!x.dims[i].isStatic()) {
      out.dims[i] = repeats[i] == 0 ? Dim(0) : unknownDim();
      continue;
    }
    int64_t size = 0;
    if (!checkedMul(x.dims[i].size, repeats[i], size))
      return nodeError(node, "dims too large with repeats " + intsStr(repeats));
    out.dims[i] = Dim(size);
  }
  return Types{out};
}

Expected<Types> inferExpand(const Node& node) {
  const TensorType& x = node.operands[0]->type;
  std::vector<Dim> target;
  for (int64_t d : node.getInts("shape")) target.push_back(Dim(d));
  auto dims = broadcastDims(x.dims, target);
  if (!dims)
    return nodeError(node, "cannot expand to " + intsStr(node.getInts("shape")) + ": " + dims.message());
  return Types{TensorType(x.dtype, dims.take())};
}

Expected<Types> inferDepthSpace(const Node& node) {
  NUTSHELL_TRY(requireRank(node, 0, 4));
  const TensorType& x = node.operands[0]->type;
  const int64_t b = node.getInt("blocksize");
  const std::string block = std::to_string(b);
  TensorType out = x;
  // A dim multiplied or divided by the block is known when the input dim is.
  auto scaled = [&](size_t i, bool up) -> Expected<Dim> {
    const Dim& d = x.dims[i];
    if (b == 1) return d;
    if (!d.isStatic()) return unknownDim();
    int64_t factor = b;
    if (i == 1 && !checkedMul(b, b, factor)) return nodeError(node, "blocksize " + block + " is too large");
    if (up) {
      int64_t size = 0;
      if (!checkedMul(d.size, factor, size)) return nodeError(node, "dims too large with blocksize " + block);
      return Dim(size);
    }
    if (d.size % factor != 0)
      return nodeError(node, std::string(i == 1 ? "channels " : "dim ") + dimStr(d) + " not divisible by " +
                                 (i == 1 ? "blocksize^2 " + std::to_string(factor) : "blocksize " + block));
    return Dim(d.size / factor);
  };
  const bool toSpace = node.op == OpKind::DepthToSpace;
  NUTSHELL_ASSIGN(out.dims[1], scaled(1, !toSpace));
  NUTSHELL_ASSIGN(out.dims[2], scaled(2, toSpace));
  NUTSHELL_ASSIGN(out.dims[3], scaled(3, toSpace));
  return Types{out};
}

Expected<Types> inferShape(const Node& node) {
  int64_t rank = int64_t(node.operands[0]->type.rank());
  int64_t start = node.getInt("start"), end = node.getInt("end");
  if (start < 0) start = std::max<int64_t>(start, -rank) + rank;
  if (end < 0) end = std::max<int64_t>(end, -rank) + rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  return Types{TensorType::i64({std::max<int64_t>(0, end - start)})};
}

Expected<Types> inferGather(const Node& node) {
  if (node.operands[1]->type.dtype != DType::I32) NUTSHELL_TRY(requireI64(node, 1));  // i64 or i32 indices
  const TensorType& data = node.operands[0]->type;
  const TensorType& indices = node.operands[1]->type;
  if (data.rank() == 0) return nodeError(node, "data must have rank >= 1");
  NUTSHELL_ASSIGN(int64_t axis, normalizeAxis(node, node.getInt("axis"), int64_t(data.rank()), "axis"));
  const Dim& d = data.dims[size_t(axis)];
  if (d.isStatic()) {
    if (auto values = knownValues(node.operands[1]))
      for (int64_t index : *values)
        if (index < -d.size || index >= d.size)
          return nodeError(node, "index " + std::to_string(index) + " out of range for dim " + dimStr(d));
  }
  std::vector<Dim> out(data.dims.begin(), data.dims.begin() + axis);
  out.insert(out.end(), indices.dims.begin(), indices.dims.end());
  out.insert(out.end(), data.dims.begin() + axis + 1, data.dims.end());
  return Types{TensorType(data.dtype, out)};
}

Expected<Types> inferUnsqueeze(const Node& node) {
  const TensorType& x = node.operands[0]->type;
  const auto& axes = node.getInts("axes");
  int64_t outRank = int64_t(x.rank() + axes.size());
  std::vector<bool> inserted(size_t(outRank), false);
  for (int64_t axis : axes) {
    NUTSHELL_ASSIGN(int64_t a, normalizeAxis(node, axis, outRank, "axes"));
    if (inserted[size_t(a)]) return nodeError(node, "axis " + std::to_string(axis) + " repeated in axes " + intsStr(axes));
    inserted[size_t(a)] = true;
  }
  std::vector<Dim> out;
  size_t next = 0;
  for (int64_t i = 0; i < outRank; ++i) out.push_back(inserted[size_t(i)] ? Dim(1) : x.dims[next++]);
  return Types{TensorType(x.dtype, out)};
}

Expected<Types> inferSqueeze(const Node& node) {
  const TensorType& x = node.operands[0]->type;
  const auto& axes = node.getInts("axes");
  std::vector<bool> removed(x.rank(), false);
  if (axes.empty()) {
    // Only dims known to be 1: a symbol may be anything.
    for (size_t i = 0; i < x.rank(); ++i) removed[i] = x.dims[i].isStatic() && x.dims[i].size == 1;
  }
  for (int64_t axis : axes) {
    NUTSHELL_ASSIGN(int64_t a, normalizeAxis(node, axis, int64_t(x.rank()), "axes"));
    if (removed[size_t(a)]) return nodeError(node, "axis " + std::to_string(axis) + " repeated in axes " + intsStr(axes));
    const Dim& d = x.dims[size_t(a)];
    if (d.isStatic() && d.size != 1)
      return nodeError(node, "cannot squeeze axis " + std::to_string(axis) + " of size " + dimStr(d));
    removed[size_t(a)] = true;
  }
  std::vector<Dim> out;
  for (size_t i = 0; i < x.rank(); ++i)
    if (!removed[i]) out.push_back(x.dims[i]);
  return Types{TensorType(x.dtype, out)};
}

Expected<Types> inferConstantOfShape(const Node& node) {
  NUTSHELL_TRY(requireI64(node, 0));
  NUTSHELL_TRY(requireRank(node, 0, 1));
  DType dtype = parseDType(node.getString("dtype")).value_or(DType::F32);
  const Dim& length = node.operands[0]->type.dims[0];
  if (!length.isStatic()) return nodeError(node, "shape operand must have a static length");
  auto values = knownValues(node.operands[0]);
  if (!values) return Types{TensorType(dtype, std::vector<Dim>(size_t(length.size), unknownDim()))};
  std::vector<Dim> dims;
  for (int64_t v : *values) {
    if (v < 0) return nodeError(node, "negative size in shape " + intsStr(*values));
    if (v > kMaxElements) return nodeError(node, "dims too large in shape " + intsStr(*values));
    dims.push_back(Dim(v));
  }
  return Types{TensorType(dtype, dims)};
}

Expected<Types> inferCast(const Node& node) {
  TensorType out = node.operands[0]->type;
  out.dtype = parseDType(node.getString("to")).value_or(DType::F32);
  return Types{out};
}

/// The numpy broadcast of every operand's dims, with `dtype`.
static Expected<Types> broadcastAll(const Node& node, size_t first, DType dtype) {
  std::vector<Dim> dims = node.operands[first]->type.dims;
  for (size_t i = first + 1; i < node.operands.size(); ++i) {
    auto next = broadcastDims(dims, node.operands[i]->type.dims);
    if (!next) return nodeError(node, next.message());
    dims = next.take();
  }
  if (first > 0) {
    auto next = broadcastDims(node.operands[0]->type.dims, dims);
    if (!next) return nodeError(node, next.message());
    dims = next.take();
  }
  return Types{TensorType(dtype, dims)};
}

Expected<Types> inferCompare(const Node& node) {
  if (node.operands[0]->type.dtype != node.operands[1]->type.dtype)
    return nodeError(node, "operand dtypes differ");
  if (node.op != OpKind::Equal && node.operands[0]->type.dtype == DType::Bool)
    return nodeError(node, "ordered comparison of bool values");
  return broadcastAll(node, 0, DType::Bool);
}

Expected<Types> inferLogical(const Node& node) {
  for (size_t i = 0; i < node.operands.size(); ++i)
    if (node.operands[i]->type.dtype != DType::Bool)
      return nodeError(node,
                       node.info().operandName(i) + " must be bool, got " + node.operands[i]->type.str());
  return broadcastAll(node, 0, DType::Bool);
}

Expected<Types> inferWhere(const Node& node) {
  if (node.operands[0]->type.dtype != DType::Bool)
    return nodeError(node, "cond must be bool, got " + node.operands[0]->type.str());
  if (node.operands[1]->type.dtype != node.operands[2]->type.dtype)
    return nodeError(node, "x and y dtypes differ");
  return broadcastAll(node, 1, node.operands[1]->type.dtype);
}

}  // namespace nutshell::ir::rules
