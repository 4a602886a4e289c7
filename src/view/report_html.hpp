#pragma once
// report.html: one self-contained page (the run's plots drawn by the embedded Chart.js bundle, its tables, a few
// test views rendered by ttgs next to their photos as inline PNGs) that opens offline and can be mailed.
#include <string>

namespace ttgs::view {

struct ReportOptions {
  int max_views = 4;  // rendered views shown (test views first, else training views)
};

// Reads the output folder `dir` of fit, refine or reconstruct (report.json, its scene and the dataset it names) and
// writes dir/report.html atomically; returns its path. InputError when `dir` is not such a folder.
std::string write_report_html(const std::string& dir, const ReportOptions& options = {});

}  // namespace ttgs::view
