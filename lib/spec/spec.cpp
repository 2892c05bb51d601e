#include "core/sha256.hpp"
#include "spec/paths.hpp"
#include "spec/spec.hpp"

namespace corey::spec {

std::string Spec::hash() const { return sha256_hex(canonical_json(resolved)); }

SourcePos Spec::where(const std::string& json_pointer) const {
  for (std::string pointer = json_pointer;; pointer = pointer.substr(0, pointer.rfind('/'))) {
    if (const auto it = positions.find(pointer); it != positions.end()) return it->second;
    if (pointer.empty()) return SourcePos{path, 0, 0};
  }
}

SourcePos Spec::where_param(const std::string& param) const {
  if (const auto product = sweep.find("product"); product != sweep.end() && product->contains(param)) {
    return where(pointer_join("/sweep/product", param));
  }
  if (const auto zip = sweep.find("zip"); zip != sweep.end()) {
    for (auto dim = zip->begin(); dim != zip->end(); ++dim) {
      if (dim.value().is_object() && dim.value().contains(param)) {
        return where(pointer_join(pointer_join("/sweep/zip", dim.key()), param));
      }
    }
  }
  return where(dotted_to_pointer("/params", param));
}

}  // namespace corey::spec
