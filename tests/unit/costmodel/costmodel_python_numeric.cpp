// Python/numpy numeric semantics; expected values printed by CPython 3.11 and numpy 1.24.
#include <vector>

#include "catch.hpp"
#include "costmodel/histogram_entropy.hpp"
#include "costmodel/python_numeric.hpp"

using namespace corey::costmodel;

TEST_CASE("python_round rounds the exact binary value, ties to even", "[costmodel][numeric]") {
  CHECK(python_round(2.675, 2) == 2.67);   // 2.675 is stored slightly below the tie
  CHECK(python_round(0.125, 2) == 0.12);   // exact tie -> even
  CHECK(python_round(0.375, 2) == 0.38);
  CHECK(python_round(-0.125, 2) == -0.12);
  CHECK(python_round(1.00005, 4) == 1.0001);
  CHECK(python_round(39.26345, 4) == 39.2634);
}

TEST_CASE("python_mean is the correctly rounded mean of the exact sum", "[costmodel][numeric]") {
  CHECK(python_mean(std::vector<double>{0.1, 0.2, 0.3}) == 0.2);
  CHECK(python_mean(std::vector<double>{1e16, 1.0, -1e16, 3.0}) == 1.0);
  CHECK(python_mean(std::vector<double>(10, 0.1)) == 0.1);
}

TEST_CASE("numpy pairwise summation order", "[costmodel][numeric]") {
  std::vector<double> values;
  for (int i = 1; i <= 200; ++i) values.push_back(i * 0.1);
  CHECK(numpy_pairwise_sum(values) == 2010.0);  // a left-to-right sum gives 2010.0000000000002
  CHECK(numpy_round(0.35000000000000003, 2) == 0.35);
  CHECK(numpy_round(-0.15000000000000002, 2) == -0.15);
}

TEST_CASE("numpy histogram edges: values on edges and at the top land as numpy puts them", "[costmodel][numeric]") {
  // np.histogram([0, 0.1, 0.2, 0.3, 1.0, 1.5], bins=10, range=(0, 1)) -> [1 1 2 0 0 0 0 0 0 1] (0.3 < edge 3 = 0.30000000000000004)
  const std::vector<double> v{0.0, 0.1, 0.2, 0.3, 1.0, 1.5};
  const MatrixView view{v.data(), 1, v.size(), v.size()};
  const auto counts = numpy_histogram(view, 10, 0.0, 1.0);
  CHECK(counts == std::vector<std::int64_t>{1, 1, 2, 0, 0, 0, 0, 0, 0, 1});
}
