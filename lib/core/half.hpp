#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace corey {

// Storage formats of floating-point tensors. Arithmetic is always fp32 (or fp64 in oracles); these only say
// how elements are stored in memory.
enum class DType { f32, f16, bf16, f64 };

std::string_view to_string(DType dtype);         // "fp32" | "fp16" | "bf16" | "fp64"
DType dtype_from_string(std::string_view name);  // fp32/f32/float32, fp16/f16/float16, bf16/bfloat16, fp64/f64/float64;
                                                 // throws corey::Error (usage)
std::size_t dtype_bytes(DType dtype);

// IEEE binary16 and bfloat16 <-> fp32. Narrowing rounds to nearest even (NaN stays NaN, overflow gives
// infinity); widening is exact. Inline because scan inner loops convert every element.
inline float fp16_to_fp32(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1fu;
  std::uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  if (exponent != 0) return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  // Subnormal (or zero): the value is mantissa · 2^-24, exact in fp32.
  const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
  return sign ? -magnitude : magnitude;
}

inline std::uint16_t fp32_to_fp16(float value) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  const std::uint16_t sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  const std::uint32_t abs = bits & 0x7fffffffu;
  if (abs > 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7e00u | ((abs >> 13) & 0x3ffu));  // NaN
  if (abs >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: inf
  if (abs < 0x38800000u) {
    // Result is subnormal in fp16: round abs · 2^24 to an integer, ties to even. The fp32 addition of
    // 0.5f·2^0 magic does exactly that in hardware; do it with integers to stay independent of the FPU.
    if (abs < 0x33000000u) return sign;  // < 2^-25: rounds to zero (2^-25 itself ties to even zero)
    const std::uint32_t exponent = abs >> 23;
    const std::uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;
    const std::uint32_t shift = 126u - exponent;  // so that the result is mantissa >> (shift) in units of 2^-24
    std::uint32_t q = mantissa >> shift;
    const std::uint32_t rem = mantissa & ((1u << shift) - 1u);
    const std::uint32_t half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return static_cast<std::uint16_t>(sign | q);
  }
  // Normal: rebias the exponent and round the 13 dropped mantissa bits to nearest even; a carry into the
  // exponent is the correct result (including overflow to infinity, excluded above).
  std::uint32_t rebased = abs - 0x38000000u;
  const std::uint32_t rem = rebased & 0x1fffu;
  std::uint32_t q = rebased >> 13;
  if (rem > 0x1000u || (rem == 0x1000u && (q & 1u))) ++q;
  return static_cast<std::uint16_t>(sign | q);
}

inline float bf16_to_fp32(std::uint16_t bits) { return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16); }

inline std::uint16_t fp32_to_bf16(float value) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((bits >> 16) | 0x40u);  // quiet NaN
  const std::uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<std::uint16_t>((bits + rounding) >> 16);
}

// Element i of a buffer in `dtype`, widened to fp32 (fp64 is rounded to nearest).
float load_as_f32(const void* data, DType dtype, std::int64_t index);
double load_as_f64(const void* data, DType dtype, std::int64_t index);
// Rounds `value` once to `dtype` and stores it as element i.
void store_from_f32(void* data, DType dtype, std::int64_t index, float value);

}  // namespace corey
