#pragma once
#include <span>
#include <vector>

namespace corey::stats {

// Hyndman–Fan type 7 quantile (numpy's default) of ascending data: h = (n − 1)·p,
// Q(p) = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]). Throws std::invalid_argument on empty data or p ∉ [0, 1].
double quantile_sorted(std::span<const double> sorted, double p);

// Type 7 median of ascending data.
double median_sorted(std::span<const double> sorted);

// The type 7 median of unsorted data, reordering `values` (nth_element) instead of sorting it; bitwise
// equal to median_sorted of the sorted data. Throws std::invalid_argument on empty data.
double median_inplace(std::span<double> values);

// An ascending copy.
std::vector<double> sorted_copy(std::span<const double> values);

}  // namespace corey::stats
