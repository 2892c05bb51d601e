#pragma once
// The head every benchmark's JSON starts with, so results name what produced them (build, CUDA, GPUs).
#include "core/json.hpp"
#include "corey/build_info.hpp"
#include "cuda_backend.hpp"

namespace corey::cuda {

inline Json bench_document(const char* format) {
  Json doc = Json::object();
  doc["format"] = format;
  doc["git_sha"] = corey::build::git_sha;
  doc["git_dirty"] = corey::build::git_dirty;
  doc["cuda"] = cuda_versions();
  doc["devices"] = describe_devices();
  return doc;
}

}  // namespace corey::cuda
