// Helpers shared by several op files and the N-API entry points (declared in common.h): the one tfjs dtype parser
// (and its inverse) and fused activations.
#include "common.h"

namespace gmm {

at::ScalarType dtypeOf(const std::string& d) {
  if (d == "float32") return at::kFloat;
  if (d == "int32") return at::kInt;
  if (d == "bool") return at::kBool;
  throw OpError("unsupported dtype '" + d + "' (float32, int32, bool)");
}

const char* dtypeName(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kInt: return "int32";
    case at::kBool: return "bool";
    default: return "unsupported";
  }
}

/** tfjs activation (NHWC or NCHW tensor) in place on a fresh output; prelu weights broadcast like tfjs. */
at::Tensor activate(at::Tensor y, const std::string& act, const at::Tensor& prelu, double alpha) {
  if (act == "linear" || act.empty()) return y;
  if (act == "relu") return y.relu_();
  if (act == "relu6") return y.clamp_(0, 6);
  if (act == "elu") return at::elu_(y);
  if (act == "sigmoid") return y.sigmoid_();
  if (act == "leakyrelu") return at::leaky_relu_(y, alpha);
  if (act == "prelu") {
    require(prelu.defined(), "prelu activation needs preluActivationWeights");
    return at::where(y < 0, y * prelu, y);
  }
  throw OpError("unknown fused activation '" + act + "'");
}

}  // namespace gmm
