// Shared declarations of the gmmseg native engine: the tensor box handed to JavaScript, attribute access, the op
// registry and the device. Every op file includes this header and registers its ops with GMM_OP.
#pragma once
#include <ATen/ATen.h>
#include <napi.h>

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace gmm {

using Tensors = std::vector<at::Tensor>;

/** Read-only view of a kernel's attribute object (a plain JS object; missing keys throw naming the key). */
class Attrs {
 public:
  Attrs(Napi::Env env, Napi::Value v) : env_(env), obj_(v.IsObject() ? v.As<Napi::Object>() : Napi::Object::New(env)) {}
  bool has(const char* k) const;
  int64_t i(const char* k) const;
  double f(const char* k) const;
  bool b(const char* k) const;
  std::string s(const char* k) const;
  std::vector<int64_t> iv(const char* k) const;
  std::vector<double> fv(const char* k) const;

 private:
  Napi::Value get(const char* k) const;
  Napi::Env env_;
  Napi::Object obj_;
};

/** An op: inputs (in the kernel's input order) and attributes → outputs. */
using OpFn = std::function<Tensors(const Tensors&, const Attrs&)>;

std::unordered_map<std::string, OpFn>& registry();

struct Registrar {
  Registrar(const char* name, OpFn fn) { registry()[name] = std::move(fn); }
};

/** The device tensors live on (CPU, or CUDA when built against a CUDA libtorch and selected). */
at::Device& device();

/** Tensor options for `dtype` on the engine's device. */
inline at::TensorOptions opts(at::ScalarType dtype) { return at::TensorOptions().dtype(dtype).device(device()); }

/** An error whose message reaches JavaScript as the kernel's failure reason. */
struct OpError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/** Checks a condition in an op, throwing OpError(msg) when false. */
inline void require(bool ok, const std::string& msg) {
  if (!ok) throw OpError(msg);
}

/** A tfjs dtype name ('float32', 'int32', 'bool') as a libtorch scalar type; OpError otherwise. */
at::ScalarType dtypeOf(const std::string& d);

/** A tfjs fused activation (linear, relu, relu6, elu, sigmoid, leakyrelu, prelu) applied in place to a fresh `y`. */
at::Tensor activate(at::Tensor y, const std::string& act, const at::Tensor& prelu, double alpha);

}  // namespace gmm

#define GMM_CAT_(a, b) a##b
#define GMM_CAT(a, b) GMM_CAT_(a, b)
/** Defines and registers an op: GMM_OP(Name) { return {in[0] + in[1]}; } with `in` (Tensors) and `a` (Attrs). */
#define GMM_OP(name)                                                                   \
  static gmm::Tensors GMM_CAT(op_, name)(const gmm::Tensors& in, const gmm::Attrs& a); \
  static gmm::Registrar GMM_CAT(reg_, name)(#name, GMM_CAT(op_, name));              \
  static gmm::Tensors GMM_CAT(op_, name)(const gmm::Tensors& in, [[maybe_unused]] const gmm::Attrs& a)
