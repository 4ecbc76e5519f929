// N-API entry points of the gmmseg native engine (a TensorFlow.js backend over libtorch): tensor creation, read-back,
// release and the one generic `run(kernelName, inputs, attrs)` that dispatches to the ops registered with GMM_OP.
#include <ATen/Parallel.h>
#include <torch/version.h>

#include <malloc.h>

#include <cstdlib>
#include <cstring>

#include "common.h"

namespace gmm {

std::unordered_map<std::string, OpDef>& registry() {
  static std::unordered_map<std::string, OpDef> r;
  return r;
}

at::Device& device() {
  static at::Device d(at::kCPU);
  return d;
}

namespace {

/** Whether TuneAllocator changed glibc malloc's settings. */
bool allocatorTuned = false;

/** Frees of a tensor storage at least this large check how much freed memory the allocator keeps. */
constexpr size_t kTrimCheckBytes = size_t{64} << 20;
/** Freed memory kept for reuse beyond this is returned to the OS (malloc_trim); see SetRetainedMemory. */
constexpr size_t kRetainBytes = size_t{256} << 20;
/** The cap in force: kRetainBytes, or what setRetainedMemory asked for (training: no cap). */
size_t retainBytes = kRetainBytes;

/**
 * The cap on retained memory: after a big tensor (≥ 64 MiB) is freed, when the allocator holds more than 256 MiB of
 * free memory, its free pages go back to the OS. Without it a large image's maps (hundreds of MiB each, in an order
 * that fragments the heap) left the process at 2–3× its live peak (a 4000×4000 backbone forward: 2.7 GB vs 1.4 GB
 * untuned); ordinary images never reach the check, and training lifts the cap (SetRetainedMemory).
 */
void TrimAfterFree(size_t freedBytes) {
#ifdef __GLIBC__
  if (!allocatorTuned || freedBytes < kTrimCheckBytes) return;
  if (mallinfo2().fordblks > retainBytes) malloc_trim(0);
#endif
}

/**
 * setRetainedMemory(mib): the cap of TrimAfterFree in MiB (a negative value restores the 256 MiB default). Training
 * lifts it: a step frees and reallocates the same big activations every step, and with batch-4 MobileNetV2 maps of
 * ≈ 100 MiB each the trim ran after almost every op and every page faulted in again (forward + backward 19 s vs 1.2 s).
 */
Napi::Value SetRetainedMemory(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber())
    throw Napi::TypeError::New(info.Env(), "gmmseg torch engine: setRetainedMemory expects a number of MiB");
  double mib = info[0].As<Napi::Number>().DoubleValue();
  retainBytes = mib < 0 ? kRetainBytes : static_cast<size_t>(mib) << 20;
  return info.Env().Undefined();
}

/**
 * The tensors JavaScript holds, per Node environment (main thread or worker): slot i holds a tensor or is free. A
 * handle is an External whose pointer value encodes (generation << 32 | slot); it carries no GC finalizer, because
 * Node runs N-API finalizers only when the event loop turns: a synchronous loop of ops (a training loop) piled up one
 * finalizer record per handle (≈200 bytes per op, 0.2 MiB per step of the bench network) until it returned. Tensors
 * are released by free() — tfjs disposes every tensor through its backend — and the rest when the environment ends
 * (a terminated worker's tensors are freed with it).
 */
struct Slots {
  std::vector<at::Tensor> tensors;
  std::vector<uint32_t> generation;
  std::vector<uint32_t> unused;
};

struct SlotTag;  // handles point at nothing: the pointer value is the (generation, slot) pair

Slots& SlotsOf(Napi::Env env) { return *env.GetInstanceData<Slots>(); }

Napi::Value Wrap(Napi::Env env, at::Tensor t) {
  Slots& s = SlotsOf(env);
  uint32_t i;
  if (s.unused.empty()) {
    i = static_cast<uint32_t>(s.tensors.size());
    s.tensors.push_back(std::move(t));
    s.generation.push_back(1);
  } else {
    i = s.unused.back();
    s.unused.pop_back();
    s.tensors[i] = std::move(t);
  }
  uintptr_t bits = (static_cast<uintptr_t>(s.generation[i]) << 32) | i;
  return Napi::External<SlotTag>::New(env, reinterpret_cast<SlotTag*>(bits));
}

/** The slot of a live handle, or -1 (not a handle of this environment, or already freed). */
int64_t SlotOf(Napi::Env env, Napi::Value v) {
  if (!v.IsExternal()) return -1;
  uintptr_t bits = reinterpret_cast<uintptr_t>(v.As<Napi::External<SlotTag>>().Data());
  uint32_t i = static_cast<uint32_t>(bits & 0xffffffffu);
  Slots& s = SlotsOf(env);
  if (i >= s.tensors.size() || s.generation[i] != static_cast<uint32_t>(bits >> 32) || !s.tensors[i].defined()) return -1;
  return i;
}

at::Tensor& Unwrap(Napi::Env env, Napi::Value v) {
  if (!v.IsExternal()) throw Napi::TypeError::New(env, "gmmseg torch engine: expected a native tensor handle");
  int64_t i = SlotOf(env, v);
  if (i < 0) throw Napi::Error::New(env, "gmmseg torch engine: tensor used after it was disposed");
  return SlotsOf(env).tensors[i];
}

/** gmm::dtypeOf for a JS argument: its OpError as a JS TypeError with the engine's prefix. */
at::ScalarType ParseDtype(Napi::Env env, const std::string& d) {
  try {
    return dtypeOf(d);
  } catch (const OpError& e) {
    throw Napi::TypeError::New(env, std::string("gmmseg torch engine: ") + e.what());
  }
}

/**
 * tfjs knows float32, int32 and bool: int64/int16/uint8 results become int32, float64/float16 become float32. Every
 * stored tensor is contiguous in tfjs's row-major order (free when it already is, e.g. NHWC conv outputs), so no op
 * ever sees another op's strides.
 */
at::Tensor Normalize(at::Tensor t) {
  switch (t.scalar_type()) {
    case at::kFloat: case at::kInt: case at::kBool: return t.contiguous();
    case at::kDouble: case at::kHalf: case at::kBFloat16: return t.to(at::kFloat).contiguous();
    default: return t.to(at::kInt).contiguous();
  }
}

std::vector<int64_t> ParseShape(Napi::Value v) {
  Napi::Array arr = v.As<Napi::Array>();
  std::vector<int64_t> shape(arr.Length());
  for (uint32_t j = 0; j < arr.Length(); j++) shape[j] = arr.Get(j).ToNumber().Int64Value();
  return shape;
}

/** fromArray(typedArray, shape, dtype) → handle: copies the values into a new tensor on the engine's device. */
Napi::Value FromArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  c10::InferenceMode guard;
  Napi::TypedArray arr = info[0].As<Napi::TypedArray>();
  at::ScalarType dtype = ParseDtype(env, info[2].ToString().Utf8Value());
  at::Tensor t = at::empty(ParseShape(info[1]), at::TensorOptions().dtype(dtype));
  size_t bytes = t.numel() * t.element_size();
  if (arr.ByteLength() != bytes) throw Napi::RangeError::New(env, "gmmseg torch engine: value buffer has " + std::to_string(arr.ByteLength()) + " bytes, shape needs " + std::to_string(bytes));
  if (bytes > 0) std::memcpy(t.data_ptr(), static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset(), bytes);
  return Wrap(env, device().is_cpu() ? t : t.to(device()));
}

/** toArray(handle) → a new Float32Array / Int32Array / Uint8Array holding a copy of the values (row-major). */
Napi::Value ToArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  c10::InferenceMode guard;
  at::Tensor t = Unwrap(env, info[0]).to(at::kCPU).contiguous();
  size_t bytes = t.numel() * t.element_size();
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, bytes);
  if (bytes > 0) std::memcpy(buf.Data(), t.data_ptr(), bytes);
  switch (t.scalar_type()) {
    case at::kFloat: return Napi::Float32Array::New(env, t.numel(), buf, 0);
    case at::kInt: return Napi::Int32Array::New(env, t.numel(), buf, 0);
    case at::kBool: return Napi::Uint8Array::New(env, t.numel(), buf, 0);
    default: throw Napi::TypeError::New(env, "gmmseg torch engine: cannot read dtype " + std::string(c10::toString(t.scalar_type())));
  }
}

/** free(handle): releases the tensor's memory now (the handle becomes invalid; freeing it again does nothing). */
Napi::Value Free(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t i = SlotOf(env, info[0]);
  if (i >= 0) {
    Slots& s = SlotsOf(env);
    at::Tensor& t = s.tensors[i];
    size_t last = t.has_storage() && t.storage().use_count() == 1 ? t.storage().nbytes() : 0;
    t.reset();
    TrimAfterFree(last);
    if (++s.generation[i] == 0) s.generation[i] = 1;
    s.unused.push_back(static_cast<uint32_t>(i));
  }
  return env.Undefined();
}

/** liveTensors() → the number of tensors this environment holds (allocated and not yet freed). */
Napi::Value LiveTensors(const Napi::CallbackInfo& info) {
  Slots& s = SlotsOf(info.Env());
  return Napi::Number::New(info.Env(), static_cast<double>(s.tensors.size() - s.unused.size()));
}

/** run(kernelName, inputs[], attrs) → [handle, shape, dtype, handle, shape, dtype, …]. */
Napi::Value Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  auto it = registry().find(name);
  if (it == registry().end()) throw Napi::Error::New(env, "gmmseg torch engine: kernel '" + name + "' has no native implementation");
  Napi::Array arr = info[1].As<Napi::Array>();
  Tensors in;
  in.reserve(arr.Length());
  for (uint32_t j = 0; j < arr.Length(); j++) in.push_back(Unwrap(env, arr.Get(j)));
  Attrs attrs(env, info[2], it->first, it->second.attrs);
  Tensors out;
  try {
    c10::InferenceMode guard;
    out = it->second.fn(in, attrs);
    for (auto& t : out) t = Normalize(t);
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, "gmmseg torch engine: kernel '" + name + "' failed: " + e.what_without_backtrace());
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, "gmmseg torch engine: kernel '" + name + "' failed: " + e.what());
  }
  Napi::Array res = Napi::Array::New(env, out.size() * 3);
  for (size_t j = 0; j < out.size(); j++) {
    Napi::Array shape = Napi::Array::New(env, out[j].dim());
    for (int64_t d = 0; d < out[j].dim(); d++) shape.Set(static_cast<uint32_t>(d), Napi::Number::New(env, static_cast<double>(out[j].size(d))));
    res.Set(static_cast<uint32_t>(3 * j + 1), shape);
    res.Set(static_cast<uint32_t>(3 * j + 2), Napi::String::New(env, dtypeName(out[j].scalar_type())));
    res.Set(static_cast<uint32_t>(3 * j), Wrap(env, std::move(out[j])));
  }
  return res;
}

/** kernels() → names of the registered native kernels. */
Napi::Value Kernels(const Napi::CallbackInfo& info) {
  Napi::Array a = Napi::Array::New(info.Env());
  uint32_t j = 0;
  for (auto& kv : registry()) a.Set(j++, Napi::String::New(info.Env(), kv.first));
  return a;
}

/** ops() → [{name, attrs: [{key, type, optional}]}]: every registered op with its GMM_OP attribute declaration. */
Napi::Value Ops(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array ops = Napi::Array::New(env);
  uint32_t j = 0;
  for (auto& kv : registry()) {
    Napi::Array attrs = Napi::Array::New(env, kv.second.attrs.size());
    for (size_t k = 0; k < kv.second.attrs.size(); k++) {
      const AttrSpec& spec = kv.second.attrs[k];
      Napi::Object o = Napi::Object::New(env);
      o.Set("key", spec.key);
      o.Set("type", spec.type);
      o.Set("optional", spec.optional);
      attrs.Set(static_cast<uint32_t>(k), o);
    }
    Napi::Object op = Napi::Object::New(env);
    op.Set("name", kv.first);
    op.Set("attrs", attrs);
    ops.Set(j++, op);
  }
  return ops;
}

/** setThreads(n) / threads(): intra-op thread count. */
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  at::set_num_threads(info[0].ToNumber().Int32Value());
  return info.Env().Undefined();
}
Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), at::get_num_threads()); }

/** info() → {torchVersion, cudaAvailable, device}. */
Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("torchVersion", TORCH_VERSION);
  o.Set("cudaAvailable", at::hasCUDA());
  o.Set("device", device().str());
  return o;
}

/** setDevice('cpu' | 'cuda'). */
Napi::Value SetDevice(const Napi::CallbackInfo& info) {
  std::string d = info[0].ToString().Utf8Value();
  if (d == "cuda" && !at::hasCUDA()) throw Napi::Error::New(info.Env(), "gmmseg torch engine: CUDA requested but this libtorch has no usable CUDA device");
  if (d != "cpu" && d != "cuda") throw Napi::Error::New(info.Env(), "gmmseg torch engine: device must be cpu or cuda, got '" + d + "'");
  device() = at::Device(d == "cuda" ? at::kCUDA : at::kCPU);
  return info.Env().Undefined();
}

}  // namespace

/**
 * Keeps freed tensor memory in the process for reuse instead of returning it to the OS: with glibc's defaults every
 * tensor of 32 MiB or more is a fresh mmap whose pages fault in again on first touch, and on VMs with proactive memory
 * reclaim those faults cost more than the op (measured: a [65536, 128] concat 63–165 ms → 6 ms; the GMM head's
 * log-density 142 → 25 ms). The retained memory is capped by {@link TrimAfterFree}. GMMSEG_MALLOC_TUNING=0 keeps
 * glibc's defaults.
 */
void TuneAllocator() {
  const char* v = std::getenv("GMMSEG_MALLOC_TUNING");
  if (v != nullptr && std::strcmp(v, "0") == 0) return;
#ifdef __GLIBC__
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  allocatorTuned = true;
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  TuneAllocator();
  env.SetInstanceData(new Slots());
  exports.Set("fromArray", Napi::Function::New(env, FromArray));
  exports.Set("toArray", Napi::Function::New(env, ToArray));
  exports.Set("free", Napi::Function::New(env, Free));
  exports.Set("liveTensors", Napi::Function::New(env, LiveTensors));
  exports.Set("run", Napi::Function::New(env, Run));
  exports.Set("kernels", Napi::Function::New(env, Kernels));
  exports.Set("ops", Napi::Function::New(env, Ops));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("threads", Napi::Function::New(env, Threads));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setDevice", Napi::Function::New(env, SetDevice));
  exports.Set("setRetainedMemory", Napi::Function::New(env, SetRetainedMemory));
  RegisterDist(env, exports);
  return exports;
}

}  // namespace gmm

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return gmm::Init(env, exports); }
NODE_API_MODULE(gmmseg_torch, InitAddon)
