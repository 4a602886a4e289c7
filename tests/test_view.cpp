// What `ttgs view` serves, read by the library the server uses: the manifest of a 4D scene folder places each
// actor as the baked scene does, a run's cameras.json and image size are honoured, glTF is converted for the page,
// report.html embeds the run; and the CLI's errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_run.hpp"
#include "core/error.hpp"
#include "io/file_util.hpp"
#include "io/ply.hpp"
#include "io/splat_formats.hpp"
#include "test_util.hpp"
#include "view/report_html.hpp"
#include "view/source.hpp"

namespace ttgs {
namespace {

using test::quote;
using test::run_ttgs;
using test::RunResult;
using json = nlohmann::json;

std::array<double, 3> sum_of_means(const SplatData& s) {
  std::array<double, 3> sum{0, 0, 0};
  for (size_t i = 0; i < s.count; ++i)
    for (size_t k = 0; k < 3; ++k) sum[k] += s.means[3 * i + k];
  return sum;
}

// An actor's Gaussians placed by its pose at the first timestamp, plus the static part, are the scene baked there.
TEST(View, SceneFolderManifestPlacesActorsAsTheBakedScene) {
  test::TempDir dir;
  RunResult r = run_ttgs("--quiet synth --preset street --cameras 2 --views 3 --novel 0 --width 64 --height 48 --lidar "
                         "--seed 9 --out " + quote(dir / "s"), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_ttgs("--quiet init --data " + quote(dir / "s") + " --source lidar --out " + quote(dir / "init"), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  view::SourceOptions o;
  o.data = dir / "s";
  const view::ViewSource v = view::open_source(dir / "init", o);
  EXPECT_EQ(v.kind, "scene");
  const json& m = v.manifest;
  ASSERT_GE(m["splats"].size(), 2u);
  EXPECT_EQ(m["timestamps"].size(), 3u);
  EXPECT_EQ(m["cameras"].size(), 6u);
  ASSERT_TRUE(m["environment"].is_object());
  EXPECT_TRUE(v.files.count("/data/environment.png"));
  std::array<double, 3> placed = sum_of_means(io::read_splat_ply(v.files.at(m["splats"][0]["url"]).path));
  int actors_at_start = 0;
  for (size_t k = 1; k < m["splats"].size(); ++k) {
    const json& a = m["splats"][k];
    ASSERT_EQ(a["part"], "actor");
    ASSERT_EQ(a["poses"].size(), 3u);
    if (a["poses"][0].is_null()) continue;
    ++actors_at_start;
    const std::vector<double> p = a["poses"][0].get<std::vector<double>>();  // row-major object-to-world
    ASSERT_EQ(p.size(), 16u);
    const SplatData s = io::read_splat_ply(v.files.at(a["url"]).path);
    for (size_t i = 0; i < s.count; ++i)
      for (size_t row = 0; row < 3; ++row)
        placed[row] += p[4 * row] * s.means[3 * i] + p[4 * row + 1] * s.means[3 * i + 1] +
                       p[4 * row + 2] * s.means[3 * i + 2] + p[4 * row + 3];
  }
  EXPECT_GT(actors_at_start, 0);
  const std::array<double, 3> baked = sum_of_means(io::read_splat_ply(dir / "init/scene.ply"));
  for (size_t k = 0; k < 3; ++k) EXPECT_NEAR(placed[k], baked[k], 1e-3 * (1 + std::abs(baked[k]))) << k;
  // Without its dataset the scene still opens, without cameras.
  const view::ViewSource bare = view::open_source(dir / "init/scene.json", {});
  EXPECT_TRUE(bare.manifest["cameras"].empty());
}

// An output folder: cameras from cameras.json (as the run left them), photos at the run's size (downscale from the
// cameras), the report; a glTF file is served as PLY; report.html holds the run's data and renders.
TEST(View, OutputFolderUsesTheRunsCamerasAndReport) {
  test::TempDir dir;
  RunResult r = run_ttgs("--quiet synth --out " + quote(dir / "s") + " --views 6 --novel 2 --width 64 --height 48 "
                         "--points 400", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_ttgs("--quiet fit --data " + quote(dir / "s") + " --out " + quote(dir / "fit") + " --iters 30 --downscale 2", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "fit/report.html"));  // written by fit itself
  json cameras = json::parse(io::read_file(dir / "fit/cameras.json"));
  cameras["frames"][1]["transform_matrix"][0][3] = 123.5;  // a camera the run moved
  io::write_file_atomic(dir / "fit/cameras.json", cameras.dump());
  view::SourceOptions o;
  o.data = dir / "s";
  o.load.downscale = 0;
  const view::ViewSource v = view::open_source(dir / "fit", o);
  EXPECT_EQ(v.kind, "output");
  EXPECT_FALSE(v.report_path.empty());
  const json& cams = v.manifest["cameras"];
  ASSERT_EQ(cams.size(), 8u);
  EXPECT_EQ(cams[0]["width"], 32);
  EXPECT_TRUE(cams[0]["photo"].get<bool>());
  EXPECT_NEAR(cams[1]["c2w"][3].get<double>(), 123.5, 1e-9);
  EXPECT_NE(cams[2]["c2w"][3].get<double>(), 123.5);

  r = run_ttgs("--quiet export --scene " + quote(dir / "fit/scene.ply") + " --out " + quote(dir / "scene.glb"), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  const view::ViewSource glb = view::open_source(dir / "scene.glb", {});
  ASSERT_TRUE(glb.files.count("/data/scene.ply"));
  EXPECT_EQ(io::parse_splat_ply(glb.files.at("/data/scene.ply").bytes, "served").count,
            io::read_splats(dir / "fit/scene.ply").count);

  const std::string html = io::read_file(view::write_report_html(dir / "fit"));
  EXPECT_NE(html.find("id=\"ttgs-report-data\""), std::string::npos);
  EXPECT_NE(html.find("\"history\""), std::string::npos);
  size_t images = 0;
  for (size_t at = html.find("data:image/png;base64,"); at != std::string::npos; at = html.find("data:image/png;base64,", at + 1))
    ++images;
  EXPECT_EQ(images, 4u);  // the two test views: photo and render each
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);  // nothing fetched
}

TEST(View, BadPathsAreInputErrors) {
  test::TempDir dir;
  EXPECT_THROW(view::open_source(dir / "missing", {}), InputError);
  EXPECT_THROW(view::open_source(dir.path(), {}), InputError);  // an empty folder
  test::write_text(dir / "notes.txt", "hello");
  EXPECT_THROW(view::open_source(dir / "notes.txt", {}), InputError);
  EXPECT_THROW(view::write_report_html(dir.path()), InputError);
  RunResult r = run_ttgs("view " + quote(dir / "missing"), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("ttgs: error: " + dir / "missing" + ": ", 0), 0u) << r.err;
  r = run_ttgs("report " + quote(dir.path()), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no report.json"), std::string::npos) << r.err;
  r = run_ttgs("view " + quote(dir / "notes.txt") + " --port 70000", dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--port"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ttgs
