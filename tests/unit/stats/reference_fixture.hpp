#pragma once
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

// tests/data/stats_reference.json, written by tools/stats_reference.py (numpy and exact integer
// arithmetic, independent of lib/stats).
inline const nlohmann::json& stats_reference() {
  static const nlohmann::json fixture = [] {
    const std::string path = std::string(COREY_TEST_DATA_DIR) + "/stats_reference.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    return nlohmann::json::parse(in);
  }();
  return fixture;
}

inline std::vector<double> as_vector(const nlohmann::json& array) { return array.get<std::vector<double>>(); }
