// Collectives for data-parallel training over libtorch's own c10d process groups (Gloo), exported to JavaScript as
// dist* functions. Built only when the Gloo headers were found at configure time (GMMSEG_DIST and USE_C10D_GLOO, set
// by scripts/build-native.mjs / native/torch-config.py); otherwise RegisterDist exports nothing and the TypeScript
// layer (src/parallel/process-group.ts) says how to get them.
//
// One process group per process. Every collective works on a fresh copy of a JS typed array (Float32Array,
// Float64Array or Int32Array) and returns a new typed array: tfjs tensors are immutable, so nothing reduces a tensor's
// own storage. The asynchronous variants enqueue the collective on the calling (main) thread — so the order of
// collectives is the program order on every rank — and wait for it on a libuv worker thread, resolving a Promise.
// Every libtorch/Gloo failure (peer missing at init, peer died, timeout) becomes a JS Error with a "gmmseg dist:"
// message; nothing aborts the process.
#include "common.h"

#ifdef GMMSEG_DIST
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/version.h>

#include <chrono>
#include <cstring>
#include <cstdlib>
#include <memory>
#endif

namespace gmm {

#ifdef GMMSEG_DIST
namespace {

using PG = c10d::ProcessGroupGloo;
using DevicePtr = std::shared_ptr<::gloo::transport::Device>;

/** The process group of this process. Heap-held and never destroyed at exit: a dead peer must not block teardown. */
struct DistState {
  c10::intrusive_ptr<PG> pg;
  int rank = -1;
  int world = 0;
};
DistState& state() {
  static DistState* s = new DistState();
  return *s;
}

// createDevice* gained a `lazyInit` argument in libtorch 2.x: call whichever form this libtorch declares.
template <typename T>
auto deviceForHostname(const std::string& h, int) -> decltype(T::createDeviceForHostname(h, false)) {
  return T::createDeviceForHostname(h, false);
}
template <typename T>
auto deviceForHostname(const std::string& h, long) -> decltype(T::createDeviceForHostname(h)) {
  return T::createDeviceForHostname(h);
}
template <typename T>
auto deviceForInterface(const std::string& i, int) -> decltype(T::createDeviceForInterface(i, false)) {
  return T::createDeviceForInterface(i, false);
}
template <typename T>
auto deviceForInterface(const std::string& i, long) -> decltype(T::createDeviceForInterface(i)) {
  return T::createDeviceForInterface(i);
}
template <typename T>
auto defaultDevice(int) -> decltype(T::createDefaultDevice(false)) {
  return T::createDefaultDevice(false);
}
template <typename T>
auto defaultDevice(long) -> decltype(T::createDefaultDevice()) {
  return T::createDefaultDevice();
}

/** The local transport device: GLOO_SOCKET_IFNAME's interface, loopback for a loopback master, else the host's. */
DevicePtr localDevice(const std::string& masterAddr) {
  const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
  if (ifname != nullptr && *ifname != '\0') return deviceForInterface<PG>(ifname, 0);
  if (masterAddr == "localhost" || masterAddr.rfind("127.", 0) == 0) return deviceForHostname<PG>("127.0.0.1", 0);
  return defaultDevice<PG>(0);
}

Napi::Error DistError(Napi::Env env, const std::string& what, const std::exception& e) {
  std::string msg = e.what();
  // c10::Error appends a C++ backtrace after the first line; keep the message.
  const size_t cut = msg.find("\nException raised from");
  if (cut != std::string::npos) msg = msg.substr(0, cut);
  return Napi::Error::New(env, "gmmseg dist: " + what + " failed: " + msg);
}

PG& group(Napi::Env env) {
  if (!state().pg) throw Napi::Error::New(env, "gmmseg dist: no process group (call init first)");
  return *state().pg;
}

/** A JS typed array copied into a fresh 1-D tensor, and its element type. */
at::Tensor FromTyped(Napi::Env env, Napi::Value v, const char* fn) {
  if (!v.IsTypedArray()) throw Napi::TypeError::New(env, std::string("gmmseg dist: ") + fn + " expects a typed array");
  auto ta = v.As<Napi::TypedArray>();
  at::ScalarType t;
  switch (ta.TypedArrayType()) {
    case napi_float32_array: t = at::kFloat; break;
    case napi_float64_array: t = at::kDouble; break;
    case napi_int32_array: t = at::kInt; break;
    default:
      throw Napi::TypeError::New(env, std::string("gmmseg dist: ") + fn + " expects a Float32Array, Float64Array or Int32Array");
  }
  const int64_t n = static_cast<int64_t>(ta.ElementLength());
  auto* data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  return at::from_blob(data, {n}, at::TensorOptions().dtype(t)).clone();
}

Napi::Value ToTyped(Napi::Env env, const at::Tensor& t0) {
  at::Tensor t = t0.contiguous();
  const size_t n = static_cast<size_t>(t.numel());
  switch (t.scalar_type()) {
    case at::kDouble: {
      auto a = Napi::Float64Array::New(env, n);
      if (n) std::memcpy(a.Data(), t.data_ptr<double>(), n * sizeof(double));
      return a;
    }
    case at::kInt: {
      auto a = Napi::Int32Array::New(env, n);
      if (n) std::memcpy(a.Data(), t.data_ptr<int32_t>(), n * sizeof(int32_t));
      return a;
    }
    default: {
      auto a = Napi::Float32Array::New(env, n);
      if (n) std::memcpy(a.Data(), t.data_ptr<float>(), n * sizeof(float));
      return a;
    }
  }
}

c10d::ReduceOp ParseOp(Napi::Env env, const std::string& op) {
  if (op == "sum") return c10d::ReduceOp::SUM;
  if (op == "max") return c10d::ReduceOp::MAX;
  if (op == "min") return c10d::ReduceOp::MIN;
  throw Napi::TypeError::New(env, "gmmseg dist: reduce op must be sum, max or min, got '" + op + "'");
}

/** A collective started on the main thread: its work handle and the tensor the result lands in. */
struct Pending {
  c10::intrusive_ptr<c10d::Work> work;
  at::Tensor result;
  std::string what;
};

Pending StartAllReduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor t = FromTyped(env, info[0], "allReduce");
  c10d::AllreduceOptions o;
  o.reduceOp = ParseOp(env, info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "sum");
  std::vector<at::Tensor> ts{t};
  try {
    return {group(env).allreduce(ts, o), t, "allReduce"};
  } catch (const std::exception& e) {
    throw DistError(env, "allReduce", e);
  }
}

Pending StartBroadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor t = FromTyped(env, info[0], "broadcast");
  c10d::BroadcastOptions o;
  o.rootRank = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
  if (o.rootRank < 0 || o.rootRank >= state().world)
    throw Napi::RangeError::New(env, "gmmseg dist: broadcast root must be a rank in [0, world size)");
  std::vector<at::Tensor> ts{t};
  try {
    return {group(env).broadcast(ts, o), t, "broadcast"};
  } catch (const std::exception& e) {
    throw DistError(env, "broadcast", e);
  }
}

/** All-gather of equal-length arrays: the result is every rank's array, concatenated in rank order. */
struct PendingGather {
  Pending p;
  std::vector<at::Tensor> outs;
};
PendingGather StartAllGather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor t = FromTyped(env, info[0], "allGather");
  const int world = group(env).getSize();
  std::vector<std::vector<at::Tensor>> outs(1);
  for (int r = 0; r < world; r++) outs[0].push_back(at::empty_like(t));
  std::vector<at::Tensor> ins{t};
  try {
    auto w = group(env).allgather(outs, ins);
    return {{w, t, "allGather"}, outs[0]};
  } catch (const std::exception& e) {
    throw DistError(env, "allGather", e);
  }
}

void Wait(Napi::Env env, Pending& p) {
  try {
    p.work->wait();
  } catch (const std::exception& e) {
    throw DistError(env, p.what, e);
  }
}

/** Waits for a started collective on a libuv worker thread and resolves with its result. */
class WaitWorker : public Napi::AsyncWorker {
 public:
  WaitWorker(Napi::Env env, Pending p, std::vector<at::Tensor> parts)
      : Napi::AsyncWorker(env), p_(std::move(p)), parts_(std::move(parts)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      p_.work->wait();
      if (!parts_.empty()) p_.result = at::cat(parts_);
    } catch (const std::exception& e) {
      std::string msg = e.what();
      const size_t cut = msg.find("\nException raised from");
      if (cut != std::string::npos) msg = msg.substr(0, cut);
      SetError("gmmseg dist: " + p_.what + " failed: " + msg);
    }
  }
  void OnOK() override { deferred_.Resolve(ToTyped(Env(), p_.result)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Pending p_;
  std::vector<at::Tensor> parts_;
  Napi::Promise::Deferred deferred_;
};

Napi::Value Async(Napi::Env env, Pending p, std::vector<at::Tensor> parts = {}) {
  auto* w = new WaitWorker(env, std::move(p), std::move(parts));
  Napi::Promise promise = w->Promise();
  w->Queue();
  return promise;
}

/**
 * distInit(rank, worldSize, masterAddr, masterPort, backend, timeoutMs[, hostStore]). Rank 0 hosts the TCP store
 * unless hostStore is false (under torchrun, whose agent already hosts it on MASTER_PORT).
 */
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (state().pg) throw Napi::Error::New(env, "gmmseg dist: a process group already exists (call destroy first)");
  const int rank = info[0].ToNumber().Int32Value();
  const int world = info[1].ToNumber().Int32Value();
  const std::string addr = info[2].ToString().Utf8Value();
  const int port = info[3].ToNumber().Int32Value();
  const std::string backend = info[4].ToString().Utf8Value();
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(info[5].ToNumber().DoubleValue()));
  const bool hostStore = info.Length() < 7 || !info[6].IsBoolean() || info[6].As<Napi::Boolean>().Value();
  if (backend != "gloo") throw Napi::Error::New(env, "gmmseg dist: backend '" + backend + "' is not built in (built: gloo)");
  if (world < 1 || rank < 0 || rank >= world)
    throw Napi::RangeError::New(env, "gmmseg dist: rank must be in [0, world size) and world size ≥ 1");
  if (port < 1 || port > 65535) throw Napi::RangeError::New(env, "gmmseg dist: master port must be in 1..65535");
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(port);
    so.isServer = rank == 0 && hostStore;
    so.numWorkers = static_cast<size_t>(world);
    so.waitWorkers = true;
    so.timeout = timeout;
    auto store = c10::make_intrusive<c10d::TCPStore>(addr, so);
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("gmmseg", store);
    auto o = PG::Options::create(timeout);
    o->devices.push_back(localDevice(addr));
    state().pg = c10::make_intrusive<PG>(prefixed, rank, world, o);
    state().rank = rank;
    state().world = world;
  } catch (const std::exception& e) {
    throw DistError(env, "init (rank " + std::to_string(rank) + " of " + std::to_string(world) + ", master " + addr +
                             ":" + std::to_string(port) + ")",
                    e);
  }
  return env.Undefined();
}

Napi::Value AllReduce(const Napi::CallbackInfo& info) {
  Pending p = StartAllReduce(info);
  Wait(info.Env(), p);
  return ToTyped(info.Env(), p.result);
}
Napi::Value AllReduceAsync(const Napi::CallbackInfo& info) { return Async(info.Env(), StartAllReduce(info)); }

Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  Pending p = StartBroadcast(info);
  Wait(info.Env(), p);
  return ToTyped(info.Env(), p.result);
}
Napi::Value BroadcastAsync(const Napi::CallbackInfo& info) { return Async(info.Env(), StartBroadcast(info)); }

Napi::Value AllGather(const Napi::CallbackInfo& info) {
  PendingGather g = StartAllGather(info);
  Wait(info.Env(), g.p);
  return ToTyped(info.Env(), at::cat(g.outs));
}
Napi::Value AllGatherAsync(const Napi::CallbackInfo& info) {
  PendingGather g = StartAllGather(info);
  return Async(info.Env(), std::move(g.p), std::move(g.outs));
}

Napi::Value Barrier(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Pending p;
  try {
    p = {group(env).barrier(c10d::BarrierOptions()), at::Tensor(), "barrier"};
  } catch (const std::exception& e) {
    throw DistError(env, "barrier", e);
  }
  Wait(env, p);
  return env.Undefined();
}

/** destroy(): drops the process group (a later init may start another). */
Napi::Value Destroy(const Napi::CallbackInfo& info) {
  state().pg.reset();
  state().rank = -1;
  state().world = 0;
  return info.Env().Undefined();
}

/** distInfo() → {backends, rank, worldSize} (rank −1 without a process group). */
Napi::Value DistInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  Napi::Array b = Napi::Array::New(env, 1);
  b.Set(0u, "gloo");
  o.Set("backends", b);
  o.Set("rank", state().rank);
  o.Set("worldSize", state().world);
  return o;
}

}  // namespace
#endif

void RegisterDist(Napi::Env env, Napi::Object exports) {
#ifdef GMMSEG_DIST
  exports.Set("distInfo", Napi::Function::New(env, DistInfo));
  exports.Set("distInit", Napi::Function::New(env, Init));
  exports.Set("distAllReduce", Napi::Function::New(env, AllReduce));
  exports.Set("distAllReduceAsync", Napi::Function::New(env, AllReduceAsync));
  exports.Set("distBroadcast", Napi::Function::New(env, Broadcast));
  exports.Set("distBroadcastAsync", Napi::Function::New(env, BroadcastAsync));
  exports.Set("distAllGather", Napi::Function::New(env, AllGather));
  exports.Set("distAllGatherAsync", Napi::Function::New(env, AllGatherAsync));
  exports.Set("distBarrier", Napi::Function::New(env, Barrier));
  exports.Set("distDestroy", Napi::Function::New(env, Destroy));
#else
  (void)env;
  (void)exports;
#endif
}

}  // namespace gmm
