#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "catch.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"

// Reference digests: FIPS 180-2, Appendix B (SHA-256 examples) and the NIST CAVS short-message vectors.
namespace {
const std::string nist_448_bit = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
const std::string nist_896_bit =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
}  // namespace

TEST_CASE("sha256 matches the FIPS 180-2 test vectors", "[sha256]") {
  CHECK(corey::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(corey::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(corey::sha256_hex(nist_448_bit) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(corey::sha256_hex(nist_896_bit) == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  CHECK(corey::sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256 gives the same digest however the input is split", "[sha256]") {
  const std::string message(1000000, 'a');
  for (std::size_t piece : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 4099u}) {
    corey::Sha256 hasher;
    for (std::size_t at = 0; at < message.size(); at += piece) {
      hasher.update(std::string_view(message).substr(at, piece));
    }
    CHECK(corey::to_hex(hasher.finish()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }
}

TEST_CASE("sha256 of a file", "[sha256]") {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("corey-sha256-" + std::to_string(::getpid()))).string();
  {
    std::ofstream out(path, std::ios::binary);
    out << nist_448_bit;
  }
  CHECK(corey::sha256_file_hex(path) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  std::remove(path.c_str());
  try {
    corey::sha256_file_hex(path);
    FAIL("a missing file must throw");
  } catch (const corey::Error& e) {
    CHECK(e.kind() == corey::ErrorKind::io);
  }
}
