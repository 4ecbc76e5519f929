// Shared declarations of the gmmseg native engine: the tensor box handed to JavaScript, attribute access, the op
// registry and the device. Every op file includes this header and registers its ops with GMM_OP, which also declares
// the op's attributes (keys and types): the kernel contract that src/engine/torch/kernel-contract.ts mirrors and that
// tests/unit/engine/kernel-contract.test.ts compares with the addon's ops() export.
#pragma once
#include <ATen/ATen.h>
#include <napi.h>

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace gmm {

using Tensors = std::vector<at::Tensor>;

/** One declared attribute of an op: key, type (int, float, bool, string, int[], float[]), whether it may be absent. */
struct AttrSpec {
  std::string key;
  std::string type;
  bool optional = false;
};

/** An op's declared attributes, parsed from its GMM_OP spec "key:type,key?:type,…" ("" = no attributes). */
std::vector<AttrSpec> parseAttrSpecs(const char* spec);

/**
 * Read-only view of a kernel's attribute object (a plain JS object). Every read is checked against the op's
 * declaration: an undeclared key, or a key read with another type than declared, is an OpError naming op and key, so
 * the C++ side cannot drift from its GMM_OP declaration; a missing required key throws naming the key.
 */
class Attrs {
 public:
  Attrs(Napi::Env env, Napi::Value v, const std::string& op, const std::vector<AttrSpec>& specs)
      : env_(env), obj_(v.IsObject() ? v.As<Napi::Object>() : Napi::Object::New(env)), op_(op), specs_(specs) {}
  bool has(const char* k) const;
  int64_t i(const char* k) const;
  double f(const char* k) const;
  bool b(const char* k) const;
  std::string s(const char* k) const;
  std::vector<int64_t> iv(const char* k) const;
  std::vector<double> fv(const char* k) const;

 private:
  /** Throws unless `k` is declared with type `type` (nullptr: any type). */
  void declared(const char* k, const char* type) const;
  Napi::Value get(const char* k, const char* type) const;
  Napi::Env env_;
  Napi::Object obj_;
  const std::string& op_;
  const std::vector<AttrSpec>& specs_;
};

/** An op: inputs (in the kernel's input order) and attributes → outputs. */
using OpFn = std::function<Tensors(const Tensors&, const Attrs&)>;

/** A registered op: its function and its declared attributes. */
struct OpDef {
  OpFn fn;
  std::vector<AttrSpec> attrs;
};

std::unordered_map<std::string, OpDef>& registry();

struct Registrar {
  Registrar(const char* name, OpFn fn, const char* spec) {
    registry()[name] = OpDef{std::move(fn), parseAttrSpecs(spec)};
  }
};

/** Adds the dist* collectives (native/src/dist.cc) to the exports when built with Gloo; nothing otherwise. */
void RegisterDist(Napi::Env env, Napi::Object exports);

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

/** A tfjs dtype name ('float32', 'int32', 'bool') as a libtorch scalar type; OpError otherwise. The only parser. */
at::ScalarType dtypeOf(const std::string& d);

/** The tfjs dtype name of a libtorch scalar type (the inverse of dtypeOf; "unsupported" for other types). */
const char* dtypeName(at::ScalarType t);

/** A tfjs fused activation (linear, relu, relu6, elu, sigmoid, leakyrelu, prelu) applied in place to a fresh `y`. */
at::Tensor activate(at::Tensor y, const std::string& act, const at::Tensor& prelu, double alpha);

}  // namespace gmm

#define GMM_CAT_(a, b) a##b
#define GMM_CAT(a, b) GMM_CAT_(a, b)
/**
 * Defines and registers an op with `in` (Tensors) and `a` (Attrs): GMM_OP(Name) { … } for an op without attributes,
 * GMM_OP(Name, "axis:int[],keepDims?:bool") { … } with its attributes declared as key[?]:type ('?' = may be absent;
 * types int, float, bool, string, int[], float[]). Adjacent string literals concatenate, so shared attribute groups
 * can be macros (GMM_OP(Conv2D, GMM_CONV_GEOMETRY)).
 */
#define GMM_OP(name, ...)                                                                   \
  static gmm::Tensors GMM_CAT(op_, name)(const gmm::Tensors& in, const gmm::Attrs& a);      \
  static gmm::Registrar GMM_CAT(reg_, name)(#name, GMM_CAT(op_, name), "" __VA_ARGS__);   \
  static gmm::Tensors GMM_CAT(op_, name)(const gmm::Tensors& in, [[maybe_unused]] const gmm::Attrs& a)
