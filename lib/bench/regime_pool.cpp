#include "bench/regime_pool.hpp"

#include <array>
#include <cstdio>
#include <map>

#include "bench/jsonl_lines.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/sha256.hpp"
#include "sched/python_random.hpp"

namespace corey::bench {
namespace {

constexpr std::string_view kMemo =
    "Quarterly planning memo. The deployment team tracks latency, quality, incident risk, launch criteria, owner "
    "handoff, and rollback plans.";
constexpr std::string_view kPolicy =
    "Policy clause 7.3 requires reviewer approval before escalation. The request must include risk tier, owner, "
    "deadline, and rollback.";
constexpr std::string_view kMixed =
    "请用中文总结这段 English incident report, then list action items in English. "
    "系统延迟升高但质量指标稳定，需要检查 routing, cache, and batch scheduling.";
constexpr std::array<std::string_view, 6> kCodeLines = {
    "def route_event(event, state):",
    "    key = (event.customer_id, event.region, event.service)",
    "    bucket = state.setdefault(key, [])",
    "    if event.timestamp >= state.watermark(key):",
    "        bucket.append((event.timestamp, event.payload_hash))",
    "    return sorted(bucket)[-32:]",
};
constexpr std::array<std::string_view, 4> kOcrValues = {"approved", "pending", "missing", "n/a"};

std::string padded(std::int64_t value, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*lld", width, static_cast<long long>(value));
  return buf;
}

// Python's str.split() on the ASCII whitespace the pool's constant texts contain.
std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (i < text.size()) {
    while (i < text.size() && space(text[i])) ++i;
    const std::size_t start = i;
    while (i < text.size() && !space(text[i])) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

// The authors' _repeat_to_words: the word list repeated until it has n words, cut to n, single spaces.
std::string repeat_to_words(std::string_view text, std::int64_t n) {
  const std::vector<std::string_view> words = split_words(text);
  std::string out;
  for (std::int64_t k = 0; k < n; ++k) {
    if (k) out += ' ';
    out += words[static_cast<std::size_t>(k) % words.size()];
  }
  return out;
}

// getrandbits(128) formatted as 32 lower-case hex digits: the first 32-bit output is the least significant word.
std::string hex128(sched::PythonRandom& rng) {
  std::array<std::uint32_t, 4> words{};
  for (std::uint32_t& w : words) w = rng.genrand_uint32();
  char buf[33];
  std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x", words[3], words[2], words[1], words[0]);
  return buf;
}

std::int64_t code_points(std::string_view utf8) {
  std::int64_t n = 0;
  for (const char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string short_chat(std::int64_t i) {
  return "User asks a concise assistant question about project status. Variant " + std::to_string(i) +
         ": summarize the key blocker and next action in two sentences.";
}

std::string long_doc_qa(std::int64_t i) {
  return "Read the document and answer the final question.\n" + repeat_to_words(kMemo, 900 + 20 * (i % 5)) +
         "\nQuestion: What should be escalated?";
}

std::string code_repo(std::int64_t i) {
  std::string code;
  for (std::int64_t r = 0; r < 24 + i % 4; ++r) {
    for (const std::string_view line : kCodeLines) {
      if (!code.empty()) code += '\n';
      code += line;
    }
  }
  return "Explain this code path and identify edge cases.\n" + code + "\nAnalysis:";
}

std::string logs_uuid(std::int64_t i, sched::PythonRandom& rng) {
  std::string out = "Find anomalies in this production log stream.\n";
  for (std::int64_t j = 0; j < 180 + i % 20; ++j) {
    if (j) out += '\n';
    out += "2026-04-30T12:" + padded(j % 60, 2) + ":00Z service=router shard=" + std::to_string(j % 8) +
           " status=" + (j % 17 ? "200" : "503") + " trace=" + hex128(rng) +
           " latency_ms=" + std::to_string(18 + (j * 7) % 311);
  }
  return out;
}

std::string tables_csv(std::int64_t i) {
  std::string out = "Summarize outliers in this CSV extract.\nidx,account,region,score,flag\n";
  for (std::int64_t j = 0; j < 220 + i % 30; ++j) {
    if (j) out += '\n';
    out += std::to_string(j) + ",acct_" + padded(j % 31, 3) + ",region_" + std::to_string(j % 5) +
           ",score=" + std::to_string((j * 13 + i) % 997) + ",flag=" + std::to_string(j % 2);
  }
  return out;
}

std::string repetition_policy(std::int64_t i) {
  return "Compress the following repeated policy text.\n" + repeat_to_words(kPolicy, 1000 + 10 * (i % 7));
}

std::string mixed_zh_en(std::int64_t i) { return repeat_to_words(kMixed, 650 + 15 * (i % 5)); }

std::string ocr_forms(std::int64_t i, sched::PythonRandom& rng) {
  std::string out = "Extract missing fields from this OCR-like form dump.\n";
  for (std::int64_t j = 0; j < 180 + i % 15; ++j) {
    if (j) out += '\n';
    const std::string_view value = rng.choice(std::span<const std::string_view>(kOcrValues));
    out += "FIELD_" + padded(j, 3) + ": value=" + std::string(value) + "; confidence=" + std::to_string((j * 19) % 100) +
           "%";
  }
  return out;
}

// Why a pool line is unusable, or the record it holds.
std::optional<std::string> parse_line(std::string_view line, RegimePrompt& out) {
  Json json;
  if (auto why = parse_jsonl_object(line, json)) return why;
  for (const char* key : {"id", "regime", "prompt"}) {
    if (!json.contains(key)) return "no '" + std::string(key) + "' field";
    if (!json[key].is_string()) return "'" + std::string(key) + "' is a JSON " + json[key].type_name() + ", not a string";
  }
  out.id = json["id"].get<std::string>();
  out.regime = json["regime"].get<std::string>();
  out.prompt = json["prompt"].get<std::string>();
  if (out.regime.empty()) return std::string("'regime' is empty");
  out.chars = code_points(out.prompt);
  if (json.contains("chars")) {
    const Json& chars = json["chars"];
    if (!chars.is_number_integer()) return "'chars' is a JSON " + std::string(chars.type_name()) + ", not an integer";
    if (chars.get<std::int64_t>() != out.chars)
      return "'chars' is " + chars.dump() + " but the prompt has " + std::to_string(out.chars) + " code points";
  }
  return std::nullopt;
}

}  // namespace

const std::vector<std::string>& regime_names() {
  static const std::vector<std::string> names = {"short_chat", "long_doc_qa",       "code_repo",   "logs_uuid",
                                                 "tables_csv", "repetition_policy", "mixed_zh_en", "ocr_forms"};
  return names;
}

std::vector<RegimePrompt> generate_regime_pool(std::int64_t samples_per_regime, std::int64_t seed) {
  if (samples_per_regime < 1) throw_usage_error("samples_per_regime must be >= 1");
  sched::PythonRandom rng(seed);
  std::vector<RegimePrompt> pool;
  pool.reserve(static_cast<std::size_t>(samples_per_regime) * regime_names().size());
  for (std::int64_t i = 0; i < samples_per_regime; ++i) {
    // The generator's draws happen in this order (logs_uuid before ocr_forms), so each regime is built in turn.
    for (const std::string& regime : regime_names()) {
      RegimePrompt r;
      r.regime = regime;
      r.sample = i;
      r.id = regime + ":" + padded(i, 3);
      if (regime == "short_chat") r.prompt = short_chat(i);
      else if (regime == "long_doc_qa") r.prompt = long_doc_qa(i);
      else if (regime == "code_repo") r.prompt = code_repo(i);
      else if (regime == "logs_uuid") r.prompt = logs_uuid(i, rng);
      else if (regime == "tables_csv") r.prompt = tables_csv(i);
      else if (regime == "repetition_policy") r.prompt = repetition_policy(i);
      else if (regime == "mixed_zh_en") r.prompt = mixed_zh_en(i);
      else r.prompt = ocr_forms(i, rng);
      r.chars = code_points(r.prompt);
      pool.push_back(std::move(r));
    }
  }
  return pool;
}

std::string python_json_string(std::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string regime_pool_jsonl(const std::vector<RegimePrompt>& pool) {
  std::string out;
  for (const RegimePrompt& r : pool) {
    out += "{\"id\": " + python_json_string(r.id) + ", \"regime\": " + python_json_string(r.regime) +
           ", \"prompt\": " + python_json_string(r.prompt) + ", \"chars\": " + std::to_string(r.chars) + "}\n";
  }
  return out;
}

std::string regime_pool_prompt_sha256(const std::vector<RegimePrompt>& pool) {
  Sha256 sha;
  const char zero = '\0';
  for (const RegimePrompt& r : pool) {
    sha.update(r.prompt);
    sha.update(&zero, 1);
  }
  return to_hex(sha.finish());
}

std::vector<RegimePrompt> parse_regime_pool(std::string_view text, const std::string& source) {
  std::vector<RegimePrompt> pool;
  std::vector<std::string> bad;
  std::map<std::string, std::int64_t> first_line_of_id;
  std::map<std::string, std::int64_t> per_regime;
  for_each_jsonl_line(text, [&](std::int64_t line_no, std::string_view line) {
    RegimePrompt r;
    r.line = line_no;
    std::optional<std::string> why = parse_line(line, r);
    if (!why) {
      const auto [it, fresh] = first_line_of_id.emplace(r.id, line_no);
      if (!fresh) why = "id '" + r.id + "' already used at line " + std::to_string(it->second);
    }
    if (why) {
      bad.push_back(source + ":" + std::to_string(line_no) + ": " + *why);
      return;
    }
    r.sample = per_regime[r.regime]++;
    pool.push_back(std::move(r));
  });
  if (!bad.empty()) throw_usage_error(defect_list_message(std::to_string(bad.size()) + " bad prompt-pool record(s):", bad));
  if (pool.empty()) throw_usage_error(source + ": the prompt pool has no records");
  return pool;
}

std::vector<RegimePrompt> load_regime_pool(const std::string& path) { return parse_regime_pool(read_file(path), path); }

}  // namespace corey::bench
