#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace corey::model {

// Text <-> token ids. encode() takes UTF-8 and adds no BOS (Mamba generation adds none, KERNELS.md §5.6).
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::vector<std::int32_t> encode(std::string_view text) const = 0;
  // The bytes the ids stand for (not necessarily valid UTF-8 when a multi-byte character is split).
  virtual std::string decode(std::span<const std::int32_t> ids) const = 0;
  virtual std::int64_t vocab_size() const = 0;
};

// Token id = byte value (0..255): the tokenizer of byte-level models.
class ByteTokenizer final : public Tokenizer {
 public:
  std::vector<std::int32_t> encode(std::string_view text) const override;
  std::string decode(std::span<const std::int32_t> ids) const override;  // throws for ids outside 0..255
  std::int64_t vocab_size() const override { return 256; }
};

}  // namespace corey::model
