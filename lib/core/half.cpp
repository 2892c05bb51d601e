#include "core/half.hpp"

#include <string>

#include "core/error.hpp"

namespace corey {

std::string_view to_string(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return "fp32";
    case DType::f16:
      return "fp16";
    case DType::bf16:
      return "bf16";
    case DType::f64:
      return "fp64";
  }
  return "?";
}

DType dtype_from_string(std::string_view name) {
  if (name == "fp32" || name == "f32" || name == "float32") return DType::f32;
  if (name == "fp16" || name == "f16" || name == "float16") return DType::f16;
  if (name == "bf16" || name == "bfloat16") return DType::bf16;
  if (name == "fp64" || name == "f64" || name == "float64") return DType::f64;
  throw_usage_error("unknown dtype '" + std::string(name) + "' (expected fp32, fp16, bf16 or fp64)");
}

std::size_t dtype_bytes(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return 4;
    case DType::f16:
    case DType::bf16:
      return 2;
    case DType::f64:
      return 8;
  }
  return 0;
}

float load_as_f32(const void* data, DType dtype, std::int64_t index) {
  switch (dtype) {
    case DType::f32:
      return static_cast<const float*>(data)[index];
    case DType::f16:
      return fp16_to_fp32(static_cast<const std::uint16_t*>(data)[index]);
    case DType::bf16:
      return bf16_to_fp32(static_cast<const std::uint16_t*>(data)[index]);
    case DType::f64:
      return static_cast<float>(static_cast<const double*>(data)[index]);
  }
  return 0.0f;
}

double load_as_f64(const void* data, DType dtype, std::int64_t index) {
  if (dtype == DType::f64) return static_cast<const double*>(data)[index];
  return static_cast<double>(load_as_f32(data, dtype, index));
}

void store_from_f32(void* data, DType dtype, std::int64_t index, float value) {
  switch (dtype) {
    case DType::f32:
      static_cast<float*>(data)[index] = value;
      return;
    case DType::f16:
      static_cast<std::uint16_t*>(data)[index] = fp32_to_fp16(value);
      return;
    case DType::bf16:
      static_cast<std::uint16_t*>(data)[index] = fp32_to_bf16(value);
      return;
    case DType::f64:
      static_cast<double*>(data)[index] = static_cast<double>(value);
      return;
  }
}

}  // namespace corey
