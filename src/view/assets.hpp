#pragma once
// The page and scripts the viewer serves and report.html inlines, bundled from npm packages by esbuild at build
// time and embedded in the program (nothing is fetched at run time, nothing to install beside the binary).
#include <optional>
#include <string>
#include <string_view>

namespace ttgs::view {

// "index.html", "viewer.js", "viewer.css" or "report.js"; nullopt for any other name.
std::optional<std::string_view> asset(const std::string& name);
// Whether the build had the npm packages (else the scripts are stubs that say how to build them).
bool assets_built();

}  // namespace ttgs::view
