// Layout and data movement: reshape, flatten, transpose, concat, slice, pad,
// tile, expand, depth_to_space, space_to_depth. These work for f32 and i64
// alike, so they move elements as bytes. Tile, expand and the depth/space
// rearrangements are strided copies of a higher-rank view, as the ONNX spec
// defines them (depth_to_space: reshape to 6-D, transpose, reshape back).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "backends/reference/Kernels.h"

namespace nutshell::reference {

namespace {

size_t elementBytes(const Tensor& t) { return t.type() == ElementType::F32 ? 4 : 8; }

/// Same elements, new shape (the caller checked the element count).
Results withShape(const ir::Node& node, const Tensor& x, const std::vector<int64_t>& shape) {
  NUTSHELL_ASSIGN(Tensor out, makeTensor(node, x.type(), shape));
  if (out.numElements() != x.numElements())
    return nodeError(node, fmt::format("cannot reshape {} ({} elements) to {}", x.typeString(), x.numElements(),
                                       shapeString(shape)));
  std::memcpy(out.data(), x.data(), x.byteSize());
  return single(std::move(out));
}

/// out[i] = in[offset(i)] where offsets come from `strides` over out's shape,
/// starting at element `base` of the input.
void stridedCopy(Tensor& out, const Tensor& in, int64_t base, const std::vector<int64_t>& strides) {
  const size_t es = elementBytes(in);
  const char* src = static_cast<const char*>(in.data()) + base * int64_t(es);
  char* dst = static_cast<char*>(out.data());
  forEachBroadcast(out.shape(), {strides},
                   [&](int64_t i, const int64_t* off) { std::memcpy(dst + i * es, src + off[0] * es, es); });
}

}  // namespace

Results runReshape(const ir::Node& node, const Operands& ops) {
  const Tensor& x = *ops[0];
  std::vector<int64_t> spec = node.getInts("shape");
  if (ops.size() > 1) {
    const Tensor& s = *ops[1];
    if (s.type() != ElementType::I64 || s.rank() != 1)
      return nodeError(node, fmt::format("shape operand must be i64[R], got {}", s.typeString()));
    spec.assign(s.i64(), s.i64() + s.numElements());
  }
  // 0 copies the input dim at the same position; one -1 takes what is left.
  std::vector<int64_t> shape(spec.size());
  int64_t known = 1;
  int64_t inferAt = -1;
  for (size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] == -1) {
      if (inferAt >= 0) return nodeError(node, fmt::format("shape {} has more than one -1", shapeString(spec)));
      inferAt = int64_t(i);
      continue;
    }
    if (spec[i] == 0) {
      if (i >= x.rank())
        return nodeError(node, fmt::format("shape {} copies dim {} (0) but the input is {}", shapeString(spec), i,
                                           x.typeString()));
      shape[i] = x.shape()[i];
    } else if (spec[i] < 0) {
      return nodeError(node, fmt::format("shape {} has a negative dimension", shapeString(spec)));
    } else {
      shape[i] = spec[i];
    }
    if (shape[i] != 0 && known > ir::kMaxElements / shape[i])
      return nodeError(node, fmt::format("shape {} is too large", shapeString(spec)));
    known *= shape[i];
  }
  if (inferAt >= 0) {
    if (known == 0 || x.numElements() % known != 0)
      return nodeError(node, fmt::format("cannot infer the -1 in {} for input {}", shapeString(spec), x.typeString()));
    shape[inferAt] = x.numElements() / known;
  }
  return withShape(node, x, shape);
}

Results runFlatten(const ir::Node& node, const Operands& ops) {
  const Tensor& x = *ops[0];
  const int64_t rank = int64_t(x.rank());
  int64_t axis = node.getInt("axis");
  if (axis < -rank || axis > rank)
    return nodeError(node, fmt::format("axis {} is out of range for {}", axis, x.typeString()));
  if (axis < 0) axis += rank;
  int64_t rows = 1, cols = 1;
  for (int64_t i = 0; i < rank; ++i) (i < axis ? rows : cols) *= x.shape()[i];
  return withShape(node, x, {rows, cols});
}

Results runTranspose(const ir::Node& node, const Operands& ops) {
  const Tensor& x = *ops[0];
  const size_t rank = x.rank();
  std::vector<int64_t> perm = node.getInts("perm");
  if (perm.empty())
    for (size_t i = 0; i < rank; ++i) perm.push_back(int64_t(rank - 1 - i));
  std::vector<bool> seen(rank, false);
  bool valid = perm.size() == rank;
  for (int64_t p : perm) {
    if (!valid || p < 0 || p >= int64_t(rank) || seen[p]) {
      valid = false;
      break;
    }
    seen[p] = true;
  }
  if (!valid)
    return nodeError(node, fmt::format("perm [{}] is not a permutation of the axes of {}", fmt::join(perm, ","),
                                       x.typeString()));
  std::vector<int64_t> inStrides = contiguousStrides(x.shape()), shape(rank), strides(rank);
  for (size_t i = 0; i < rank; ++i) {
    shape[i] = x.shape()[perm[i]];
    strides[i] = inStrides[perm[i]];
  }
  Tensor out(x.type(), shape);
  stridedCopy(out, x, 0, strides);
  return single(std::move(out));
}

Results runConcat(const ir::Node& node, const Operands& ops) {
  const Tensor& first = *ops[0];
  NUTSHELL_ASSIGN(int64_t axis, normalizeAxis(node, node.getInt("axis"), int64_t(first.rank())));
  std::vector<int64_t> shape = first.shape();
  shape[axis] = 0;
  for (const Tensor* t : ops) {
    bool match = t->type() == first.type() && t->rank() == first.rank();
    for (size_t i = 0; match && i < t->rank(); ++i) match = int64_t(i) == axis || t->shape()[i] == first.shape()[i];
    if (!match)
      return nodeError(node, fmt::format("operands {} and {} differ outside axis {}", first.typeString(),
                                         t->typeString(), axis));
    shape[axis] += t->shape()[axis];
  }
  NUTSHELL_ASSIGN(Tensor out, makeTensor(node, first.type(), shape));
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= shape[i];
  for (size_t i = size_t(axis) + 1; i < shape.size(); ++i) inner *= shape[i];
  const size_t es = elementBytes(first);
  char* dst = static_cast<char*>(out.data());
  const int64_t outRow = shape[axis] * inner;
  int64_t column = 0;  // where the current operand starts within an output row
  for (const Tensor* t : ops) {
    const int64_t row = t->shape()[axis] * inner;
    const char* src = static_cast<const char*>(t->data());
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(dst + (o * outRow + column) * es, src + o * row * es, size_t(row) * es);
    column += row;
  }
  return single(std::move(out));
}

Results runSlice(const ir::Node& node, const Operands& ops) {
  const Tensor& x = *ops[0];
  const int64_t rank = int64_t(x.rank());
  const std::vector<int64_t>& starts = node.getInts("starts");
  const std::vector<int64_t>& ends = node.getInts("ends");
  std::vector<int64_t> axes = node.getInts("axes");
  std::vector<int64_t> steps = node.getInts("steps");
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(int64_t(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    return nodeError(node, "starts, ends, axes and steps must have the same length");
  std::vector<int64_t> start(rank, 0), step(rank, 1), shape = x.shape();
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < starts.size(); ++i) {
    NUTSHELL_ASSIGN(int64_t axis, normalizeAxis(node, axes[i], rank));
    if (seen[axis]) return nodeError(node, fmt::format("axis {} is sliced twice", axes[i]));
    seen[axis] = true;
    const int64_t d = x.shape()[axis];
    // INT64_MIN would overflow when negated; any step that large takes one element.
    const int64_t st = steps[i] == std::numeric_limits<int64_t>::min() ? -std::numeric_limits<int64_t>::max() : steps[i];
    if (st == 0) return nodeError(node, fmt::format("step of axis {} is 0", axes[i]));
    // ONNX: negative indices count from the end, then clamp; a negative step
    // clamps start to [0, d-1] and end to [-1, d-1].
    int64_t b = starts[i] < 0 ? starts[i] + d : starts[i];
    int64_t e = ends[i] < 0 ? ends[i] + d : ends[i];
    if (d == 0) {
      b = e = 0;  // nothing to take (and the clamps below need d >= 1)
    } else if (st > 0) {
      b = std::clamp<int64_t>(b, 0, d);
      e = std::clamp<int64_t>(e, 0, d);
    } else {
      b = std::clamp<int64_t>(b, 0, d - 1);
      e = std::clamp<int64_t>(e, -1, d - 1);
    }
    const int64_t distance = st > 0 ? e - b : b - e;
    const int64_t magnitude = st > 0 ? st : -st;
    shape[axis] = distance <= 0 ? 0 : (distance - 1) / magnitude + 1;
    start[axis] = shape[axis] == 0 ? 0 : b;
    step[axis] = st;
  }
  std::vector<int64_t> inStrides = contiguousStrides(x.shape()), strides(rank);
  int64_t base = 0;
  for (int64_t i = 0; i < rank; ++i) {
    base += start[i] * inStrides[i];
    strides[i] = step[i] * inStrides[i];
  }
  Tensor out(x.type(), shape);
  stridedCopy(out, x, base, strides);
  return single(std::move(out));
}

Results runPad(const ir::Node& node, const Operands& ops) {
  const Tensor& x = *ops[0];
  const size_t rank = x.rank();
  const std::vector<int64_t>& pads = node.getInts("pads");
  const std::string& mode = node.getString("mode");
  if (pads.size() != 2 * rank)
    return nodeError(node, fmt::format("pads needs {} values for {}, got {}", 2 * rank, x.typeString(), pads.size()));
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return nodeError(node, fmt::format("mode must be constant|reflect|edge, got '{}'", mode));
  // For each axis, the source index of every output position (-1: the
  // constant value). Negative pads crop.
  std::vector<std::vector<int64_t>> source(rank);
  std::vector<int64_t> shape(rank);
  for (size_t a = 0; a < rank; ++a) {
    const int64_t d = x.shape()[a], begin = pads[a], end = pads[a + rank];
    shape[a] = d + begin + end;
    if (shape[a] < 0)
      return nodeError(node, fmt::format("pads [{}] crop more than axis {} of {} holds", fmt::join(pads, ","), a,
                                         x.typeString()));
    if (d == 0 && shape[a] > 0 && mode != "constant")
      return nodeError(node, fmt::format("{} padding of empty axis {} of {}", mode, a, x.typeString()));
    for (int64_t o = 0; o < shape[a]; ++o) {
      int64_t i = o - begin;
      if (i < 0 || i >= d) {
        if (mode == "constant") {
          i = -1;
        } else if (mode == "edge") {
          i = std::clamp<int64_t>(i, 0, d - 1);
        } else if (d == 1) {
          i = 0;
        } else {
          // Reflect without repeating the edge: period 2(d-1), folded.
          const int64_t period = 2 * (d - 1);
          i = ((i % period) + period) % period;
          if (i >= d) i = period - i;
        }
      }
      source[a].push_back(i);
    }
  }
  NUTSHELL_ASSIGN(Tensor out, makeTensor(node, x.type(), shape));
  const std::vector<int64_t> inStrides = contiguousStrides(x.shape());
  const size_t es = elementBytes(x);
  const float valueF32 = float(node.getFloat("value"));
  const double rawValue = node.getFloat("value");
  const int64_t valueI64 = std::isfinite(rawValue) ? int64_t(rawValue) : 0;
  const void* value = x.type() == ElementType::F32 ? static_cast<const void*>(&valueF32) : &valueI64;
  std::vector<int64_t> index(rank, 0);
  const char* src = static_cast<const char*>(x.data());
  char* dst = static_cast<char*>(out.data());
  for (int64_t i = 0; i < out.numElements(); ++i) {
    int64_t offset = 0;
    for (size_t a = 0; a < rank && offset >= 0; ++a) {
      const int64_t s = source[a][index[a]];
      offset = s < 0 ? -1 : offset + s * inStrides[a];
    }
    std::memcpy(dst + i * es, offset < 0 ? value : src + offset * es, es);
    for (size_t a = rank; a-- > 0;) {
      if (++index[a] < shape[a]) break;
      index[a] = 0;
    }
  }
  return single(std::move(out));
}

Results runTile(const ir::Node& node, const Operands& ops) {
  const Tensor& x = *ops[0];
  const std::vector<int64_t>& repeats = node.getInts("repeats");
  if (repeats.size() != x.rank())
    return nodeError(node, fmt::format("repeats [{}] needs one entry per axis of {}", fmt::join(repeats, ","),
                                       x.typeString()));
  // out viewed as [r0, d0, r1, d1, ...]: the repeat index reads with stride 0.
  const std::vector<int64_t> inStrides = contiguousStrides(x.shape());
  std::vector<int64_t> shape, view, strides;
  for (size_t i = 0; i < x.rank(); ++i) {
    if (repeats[i] < 0) return nodeError(node, fmt::format("negative repeat {}", repeats[i]));
    if (x.shape()[i] != 0 && repeats[i] > ir::kMaxElements / x.shape()[i])
      return nodeError(
          node, fmt::format("repeats [{}] make {} too large", fmt::join(repeats, ","), x.typeString()));
    shape.push_back(x.shape()[i] * repeats[i]);
    view.insert(view.end(), {repeats[i], x.shape()[i]});
    strides.insert(strides.end(), {0, inStrides[i]});
  }
  NUTSHELL_ASSIGN(Tensor tiled, makeTensor(node, x.type(), view));
  stridedCopy(tiled, x, 0, strides);
  return withShape(node, tiled, shape);
}

Results runExpand(const ir::Node& node, const Operands& ops) {
  const Tensor& x = *ops[0];
  NUTSHELL_ASSIGN(std::vector<int64_t> shape, broadcastShape(node, x.shape(), node.getInts("shape")));
  NUTSHELL_ASSIGN(Tensor out, makeTensor(node, x.type(), shape));
  stridedCopy(out, x, 0, broadcastStrides(x.shape(), shape));
  return single(std::move(out));
}

namespace {

/// x viewed as `view` (6-D, same elements), transposed by `perm`, as `shape`.
Results rearrange(const ir::Node& node, const Tensor& x, const std::vector<int64_t>& view,
                  const std::vector<int64_t>& perm, const std::vector<int64_t>& shape) {
  const std::vector<int64_t> viewStrides = contiguousStrides(view);
  std::vector<int64_t> permuted, strides;
  for (int64_t p : perm) {
    permuted.push_back(view[size_t(p)]);
    strides.push_back(viewStrides[size_t(p)]);
  }
  NUTSHELL_ASSIGN(Tensor out, makeTensor(node, x.type(), permuted));
  stridedCopy(out, x, 0, strides);
  return withShape(node, out, shape);
}

}  // namespace

Results runDepthToSpace(const ir::Node& node, const Operands& ops) {
  const Tensor& x = *ops[0];
  const int64_t b = node.getInt("blocksize");
  if (x.rank() != 4 || b < 1 || b > (int64_t(1) << 20) || x.shape()[1] % (b * b) != 0)
    return nodeError(node, fmt::format("needs [N,C,H,W] with C divisible by blocksize^2 ({}^2), got {}", b,
                                       x.typeString()));
  const int64_t N = x.shape()[0], C = x.shape()[1] / (b * b), H = x.shape()[2], W = x.shape()[3];
  if (H * W != 0 && b > ir::kMaxElements / std::max(H, W))
    return nodeError(node, fmt::format("blocksize {} makes {} too large", b, x.typeString()));
  const std::vector<int64_t> shape{N, C, H * b, W * b};
  if (node.getString("mode") == "crd")
    return rearrange(node, x, {N, C, b, b, H, W}, {0, 1, 4, 2, 5, 3}, shape);
  return rearrange(node, x, {N, b, b, C, H, W}, {0, 3, 4, 1, 5, 2}, shape);
}

Results runSpaceToDepth(const ir::Node& node, const Operands& ops) {
  const Tensor& x = *ops[0];
  const int64_t b = node.getInt("blocksize");
  if (x.rank() != 4 || b < 1 || b > (int64_t(1) << 20) || x.shape()[2] % b != 0 || x.shape()[3] % b != 0)
    return nodeError(node, fmt::format("needs [N,C,H,W] with H and W divisible by blocksize {}, got {}", b,
                                       x.typeString()));
  const int64_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2] / b, W = x.shape()[3] / b;
  return rearrange(node, x, {N, C, H, b, W, b}, {0, 3, 5, 1, 2, 4}, {N, C * b * b, H, W});
}

}  // namespace nutshell::reference
