#pragma once
#include <string>

namespace forge {
std::string libgit2_version();
}
