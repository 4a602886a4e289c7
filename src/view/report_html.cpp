#include "view/report_html.hpp"

#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "io/file_util.hpp"
#include "view/assets.hpp"
#include "view/render_service.hpp"
#include "view/source.hpp"

namespace ttgs::view {
namespace {
using json = nlohmann::json;

std::string base64(const std::string& bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const uint32_t b0 = uint8_t(bytes[i]), b1 = i + 1 < bytes.size() ? uint8_t(bytes[i + 1]) : 0,
                   b2 = i + 2 < bytes.size() ? uint8_t(bytes[i + 2]) : 0;
    const uint32_t v = (b0 << 16) | (b1 << 8) | b2;
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? table[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? table[v & 63] : '=';
  }
  return out;
}

std::string escape_html(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

// Text safe inside a <script> element: no "</" can close it early.
std::string script_safe(std::string s) {
  for (size_t at = s.find("</"); at != std::string::npos; at = s.find("</", at + 3)) s.replace(at, 2, "<\\/");
  return s;
}

std::string summary_table(const json& report) {
  std::string rows;
  const auto row = [&](const std::string& k, const std::string& v) { rows += "<tr><th>" + k + "</th><td>" + escape_html(v) + "</td></tr>"; };
  for (const char* key : {"method", "mode", "data", "iters", "num_gaussians", "time_s", "seconds_per_iteration"})
    if (report.contains(key)) row(key, report[key].is_string() ? report[key].get<std::string>() : report[key].dump());
  const json& m = report.contains("metrics") ? report["metrics"] : json();
  for (const char* split : {"train", "test"})
    if (m.contains(split) && m[split].contains("psnr") && m[split]["psnr"].is_number()) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "PSNR %.2f dB, SSIM %.4f", m[split]["psnr"].get<double>(),
                    m[split].value("ssim", std::nan("")));
      row(std::string(split) + " views", buf);
    }
  if (m.contains("after") && m.contains("before"))
    for (const char* split : {"train", "val"})
      if (m["before"].contains(split) && m["after"].contains(split)) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "PSNR %.2f -> %.2f dB", m["before"][split].value("psnr", std::nan("")),
                      m["after"][split].value("psnr", std::nan("")));
        row(std::string(split) + " views (refine)", buf);
      }
  return "<table class=\"summary\">" + rows + "</table>";
}

std::string renders_section(const ViewSource& source, int max_views) {
  if (!source.dataset) return "<p>No dataset found (report.json's \"data\"), so no renders are shown.</p>";
  const io::Dataset& ds = *source.dataset;
  std::vector<size_t> frames = ds.test.empty() ? ds.train : ds.test;
  if (frames.size() > size_t(max_views)) {
    std::vector<size_t> picked;
    for (int k = 0; k < max_views; ++k) picked.push_back(frames[size_t(k) * frames.size() / size_t(max_views)]);
    frames = picked;
  }
  RenderService renders(source);
  std::string html = std::string("<h2>") + (ds.test.empty() ? "Training" : "Test") + " views: photo | ttgs render</h2>";
  for (size_t i : frames) {
    const ViewRender r = renders.render(i);
    const std::string photo = renders.photo(i);
    char psnr[48] = "";
    if (r.psnr) std::snprintf(psnr, sizeof psnr, " — PSNR %.2f dB", *r.psnr);
    html += "<figure class=\"view\"><figcaption>" + escape_html(ds.frames[i].name) + psnr + "</figcaption>";
    if (!photo.empty()) html += "<img alt=\"photo\" src=\"data:image/png;base64," + base64(photo) + "\">";
    html += "<img alt=\"ttgs render\" src=\"data:image/png;base64," + base64(r.png) + "\"></figure>";
  }
  return html;
}

}  // namespace

std::string write_report_html(const std::string& dir, const ReportOptions& options) {
  if (!io::is_directory(dir) || !io::file_exists(io::join_path(dir, "report.json")))
    throw InputError(dir, "not an output folder of fit, refine or reconstruct (no report.json)");
  SourceOptions so;
  so.load.downscale = 0;  // as the run's cameras.json says
  const ViewSource source = open_source(dir, so);
  const json report = json::parse(io::read_file(source.report_path));
  const json ablation = source.ablation_path.empty() ? json() : json::parse(io::read_file(source.ablation_path));
  const json data{{"report", report}, {"ablation", ablation}};
  std::string html =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ttgs report: " + escape_html(dir) +
      "</title><style>body{font:14px/1.4 system-ui,sans-serif;margin:16px;max-width:1100px}"
      ".plot{max-width:900px;margin:12px 0}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;"
      "text-align:left}figure.view{display:inline-block;margin:6px}figure.view img{max-width:520px;display:block;"
      "margin-bottom:2px}</style></head><body>\n<h1>ttgs report</h1>\n<p>" + escape_html(dir) + " (" + source.kind +
      ", " + std::to_string(source.manifest.value("num_gaussians", 0)) + " Gaussians)</p>\n" + summary_table(report) +
      "\n<h2>Plots</h2><div id=\"plots\"></div>\n" + renders_section(source, options.max_views) +
      "\n<script type=\"application/json\" id=\"ttgs-report-data\">" + script_safe(data.dump()) + "</script>\n<script>" +
      script_safe(std::string(*asset("report.js"))) + "</script>\n</body></html>\n";
  const std::string path = io::join_path(dir, "report.html");
  io::write_file_atomic(path, html);
  return path;
}

}  // namespace ttgs::view
