#pragma once
#include <string>

namespace corey {

// The text Python's repr() gives a float: shortest round-trip digits, "1.0" for integral values,
// exponent form ("4.5829e-06", "1e+16") outside [1e-4, 1e16). The authors' CSVs were written this way, so
// matching it byte for byte lets users diff our tables against theirs.
std::string python_float_repr(double value);

}  // namespace corey
