// Comparisons (equal, less, greater, less_equal, greater_equal), logic (not,
// and, or, xor) and where. Values arrive as the interpreter holds them (f32
// or i64 tensors, see slotType): bool is an i64 tensor of 0 and 1, and u8
// values are 0..255 there, so one signed i64 comparison serves every integer
// type.
#include <fmt/format.h>

#include "backends/reference/Kernels.h"

namespace nutshell::reference {

namespace {

template <class T>
bool compare(ir::OpKind op, T a, T b) {
  switch (op) {
    case ir::OpKind::Equal: return a == b;
    case ir::OpKind::Less: return a < b;
    case ir::OpKind::Greater: return a > b;
    case ir::OpKind::LessEqual: return a <= b;
    default: return a >= b;  // GreaterEqual
  }
}

/// out[i] = fn(offsets) over the broadcast of every operand's shape.
template <class Fn>
Results broadcastMap(const ir::Node& node, const Operands& ops, ElementType resultType, Fn&& fn) {
  std::vector<int64_t> shape = ops[0]->shape();
  for (size_t k = 1; k < ops.size(); ++k) {
    NUTSHELL_ASSIGN(shape, broadcastShape(node, shape, ops[k]->shape()));
  }
  NUTSHELL_ASSIGN(Tensor out, makeTensor(node, resultType, shape));
  std::vector<std::vector<int64_t>> strides;
  for (const Tensor* t : ops) strides.push_back(broadcastStrides(t->shape(), shape));
  forEachBroadcast(shape, strides, [&](int64_t i, const int64_t* off) { fn(out, i, off); });
  std::vector<Tensor> results;
  results.push_back(std::move(out));
  return results;
}

}  // namespace

Results runCompare(const ir::Node& node, const Operands& ops) {
  const Tensor& a = *ops[0];
  const Tensor& b = *ops[1];
  if (a.type() != b.type())
    return nodeError(node, fmt::format("operand dtypes differ: {} and {}", a.typeString(), b.typeString()));
  const ir::OpKind op = node.op;
  if (a.type() == ElementType::F32)
    return broadcastMap(node, ops, ElementType::I64, [&](Tensor& out, int64_t i, const int64_t* off) {
      out.i64()[i] = compare(op, a.f32()[off[0]], b.f32()[off[1]]) ? 1 : 0;
    });
  return broadcastMap(node, ops, ElementType::I64, [&](Tensor& out, int64_t i, const int64_t* off) {
    out.i64()[i] = compare(op, a.i64()[off[0]], b.i64()[off[1]]) ? 1 : 0;
  });
}

Results runLogical(const ir::Node& node, const Operands& ops) {
  for (const Tensor* t : ops)
    if (t->type() != ElementType::I64)
      return nodeError(node, fmt::format("takes bool operands, got {}", t->typeString()));
  const ir::OpKind op = node.op;
  return broadcastMap(node, ops, ElementType::I64, [&](Tensor& out, int64_t i, const int64_t* off) {
    bool a = ops[0]->i64()[off[0]] != 0;
    bool b = ops.size() > 1 && ops[1]->i64()[off[1]] != 0;
    bool r = op == ir::OpKind::Not   ? !a
             : op == ir::OpKind::And ? (a && b)
             : op == ir::OpKind::Or  ? (a || b)
                                     : (a != b);
    out.i64()[i] = r ? 1 : 0;
  });
}

Results runWhere(const ir::Node& node, const Operands& ops) {
  const Tensor& cond = *ops[0];
  const Tensor& x = *ops[1];
  const Tensor& y = *ops[2];
  if (cond.type() != ElementType::I64)
    return nodeError(node, fmt::format("cond must be bool, got {}", cond.typeString()));
  if (x.type() != y.type())
    return nodeError(node, fmt::format("x and y dtypes differ: {} and {}", x.typeString(), y.typeString()));
  if (x.type() == ElementType::F32)
    return broadcastMap(node, ops, ElementType::F32, [&](Tensor& out, int64_t i, const int64_t* off) {
      out.f32()[i] = cond.i64()[off[0]] != 0 ? x.f32()[off[1]] : y.f32()[off[2]];
    });
  return broadcastMap(node, ops, ElementType::I64, [&](Tensor& out, int64_t i, const int64_t* off) {
    out.i64()[i] = cond.i64()[off[0]] != 0 ? x.i64()[off[1]] : y.i64()[off[2]];
  });
}

}  // namespace nutshell::reference
