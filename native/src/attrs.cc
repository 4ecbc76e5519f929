// Kernel attributes: parsing an op's GMM_OP declaration and reading a kernel's JS attribute object against it.

#include "common.h"

namespace gmm {

namespace {

const char* const kTypes[] = {"int", "float", "bool", "string", "int[]", "float[]"};

bool knownType(const std::string& t) {
  for (const char* k : kTypes)
    if (t == k) return true;
  return false;
}

}  // namespace

/**
 * "key:type,key?:type" → specs. A malformed entry becomes a spec of type "invalid:<entry>", which no accessor accepts
 * and the contract test reports (throwing here, during static initialisation, would abort the process on load).
 */
std::vector<AttrSpec> parseAttrSpecs(const char* spec) {
  std::vector<AttrSpec> out;
  std::string s(spec);
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    std::string entry = s.substr(start, end - start);
    start = end + 1;
    size_t colon = entry.find(':');
    AttrSpec a;
    if (colon == std::string::npos || colon == 0) {
      a.key = entry;
      a.type = "invalid:" + entry;
    } else {
      a.key = entry.substr(0, colon);
      a.type = entry.substr(colon + 1);
      if (a.key.back() == '?') {
        a.optional = true;
        a.key.pop_back();
      }
      if (!knownType(a.type)) a.type = "invalid:" + entry;
    }
    out.push_back(std::move(a));
  }
  return out;
}

void Attrs::declared(const char* k, const char* type) const {
  for (const auto& spec : specs_) {
    if (spec.key != k) continue;
    if (type == nullptr || spec.type == type) return;
    throw OpError(op_ + ": attribute '" + k + "' is read as " + type + " but declared as " + spec.type);
  }
  throw OpError(op_ + ": attribute '" + k + "' is read but not declared in its GMM_OP");
}

Napi::Value Attrs::get(const char* k, const char* type) const {
  declared(k, type);
  Napi::Value v = obj_.Get(k);
  if (v.IsUndefined() || v.IsNull()) throw OpError(std::string("missing attribute '") + k + "'");
  return v;
}

bool Attrs::has(const char* k) const {
  declared(k, nullptr);
  Napi::Value v = obj_.Get(k);
  return !(v.IsUndefined() || v.IsNull());
}
int64_t Attrs::i(const char* k) const { return get(k, "int").ToNumber().Int64Value(); }
double Attrs::f(const char* k) const { return get(k, "float").ToNumber().DoubleValue(); }
bool Attrs::b(const char* k) const { return get(k, "bool").ToBoolean().Value(); }
std::string Attrs::s(const char* k) const { return get(k, "string").ToString().Utf8Value(); }
std::vector<int64_t> Attrs::iv(const char* k) const {
  Napi::Value v = get(k, "int[]");
  std::vector<int64_t> out;
  if (v.IsNumber()) {
    out.push_back(v.As<Napi::Number>().Int64Value());
    return out;
  }
  Napi::Array arr = v.As<Napi::Array>();
  out.reserve(arr.Length());
  for (uint32_t j = 0; j < arr.Length(); j++) out.push_back(arr.Get(j).ToNumber().Int64Value());
  return out;
}
std::vector<double> Attrs::fv(const char* k) const {
  Napi::Array arr = get(k, "float[]").As<Napi::Array>();
  std::vector<double> out;
  out.reserve(arr.Length());
  for (uint32_t j = 0; j < arr.Length(); j++) out.push_back(arr.Get(j).ToNumber().DoubleValue());
  return out;
}

}  // namespace gmm
