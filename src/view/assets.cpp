#include "view/assets.hpp"

extern "C" {
#define TTGS_ASSET(sym) extern const char ttgs_asset_##sym##_begin[]; extern const char ttgs_asset_##sym##_end[];
TTGS_ASSET(index_html)
TTGS_ASSET(viewer_js)
TTGS_ASSET(viewer_css)
TTGS_ASSET(report_js)
#undef TTGS_ASSET
}

namespace ttgs::view {

std::optional<std::string_view> asset(const std::string& name) {
  const auto view = [](const char* begin, const char* end) { return std::string_view(begin, size_t(end - begin)); };
  if (name == "index.html") return view(ttgs_asset_index_html_begin, ttgs_asset_index_html_end);
  if (name == "viewer.js") return view(ttgs_asset_viewer_js_begin, ttgs_asset_viewer_js_end);
  if (name == "viewer.css") return view(ttgs_asset_viewer_css_begin, ttgs_asset_viewer_css_end);
  if (name == "report.js") return view(ttgs_asset_report_js_begin, ttgs_asset_report_js_end);
  return std::nullopt;
}

bool assets_built() { return TTGS_VIEW_ASSETS_BUILT; }

}  // namespace ttgs::view
