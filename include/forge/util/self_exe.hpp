// Why: forge starts further forge processes (forge run's jobs). Inside the relocatable bundle forge runs
// under the bundle's own dynamic loader, so /proc/self/exe names the loader, not a program that accepts
// forge's arguments; the bundle's launcher says where it is instead (docs/bundle.md).
#pragma once
#include <filesystem>

namespace forge {

// Takes FORGE_EXE (set by the bundle's launcher) out of the environment, so that nothing forge starts
// inherits it. Call once at start-up, before any thread exists.
void adopt_launcher();

// The program that runs this forge: the launcher adopted above, else /proc/self/exe resolved.
std::filesystem::path self_executable();

} // namespace forge
