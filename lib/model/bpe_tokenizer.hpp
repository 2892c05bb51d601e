#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/json.hpp"
#include "model/tokenizer.hpp"

namespace corey::model {

// An added token of tokenizer.json (matched on the text before pre-tokenization).
struct AddedToken {
  std::int32_t id = 0;
  std::u32string content;
  bool special = false;
  bool normalized = false;  // matched after normalization (else on the raw text)
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
};

// The byte-level BPE of a Hugging Face tokenizer.json as GPT-2 and GPT-NeoX use it (KERNELS.md §5):
// optional NFC normalizer, ByteLevel pre-tokenizer with the GPT-2 split regex, BPE model with vocab and
// merges (no unknown token), ByteLevel decoder, added tokens matched leftmost-longest before
// pre-tokenization. Anything else in the file (other normalizers, pre-tokenizers or models, dropout,
// subword prefixes, byte fallback) is rejected with a corey::Error (usage) naming the file and the key.
class BpeTokenizer final : public Tokenizer {
 public:
  BpeTokenizer(const Json& tokenizer_json, const std::string& source);
  static std::unique_ptr<BpeTokenizer> from_file(const std::string& path);

  std::vector<std::int32_t> encode(std::string_view text) const override;
  std::string decode(std::span<const std::int32_t> ids) const override;
  std::int64_t vocab_size() const override { return static_cast<std::int64_t>(id_to_token_.size()); }

  // The GPT-2 pre-tokenizer split of already-normalized text (exposed for tests).
  static std::vector<std::u32string> pre_tokenize(std::u32string_view text);

 private:
  std::vector<std::int32_t> encode_word(const std::u32string& word) const;  // one pre-token, byte-mapped
  void encode_plain(std::u32string_view text, std::vector<std::int32_t>& ids) const;
  void split_added(std::u32string_view text, bool normalized_pass, std::vector<std::int32_t>& ids) const;

  std::string source_;
  bool nfc_ = false;
  bool add_prefix_space_ = false;
  bool ignore_merges_ = false;
  std::unordered_map<std::u32string, std::int32_t> vocab_;
  std::vector<std::u32string> id_to_token_;
  std::unordered_map<std::uint64_t, std::pair<std::int32_t, std::int32_t>> merges_;  // (a, b) -> (rank, merged id)
  std::vector<AddedToken> added_;  // longest first
  std::unordered_map<std::int32_t, std::size_t> added_by_id_;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::u32string, std::vector<std::int32_t>> cache_;
};

// The tokenizer of a checkpoint directory: its tokenizer.json when present (a BpeTokenizer), else null.
std::unique_ptr<Tokenizer> load_tokenizer_for(const std::string& checkpoint_dir);

}  // namespace corey::model
