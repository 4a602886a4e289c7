// The CLI's tools end to end against the real binary: format conversion (export) and time to quality (bench fit).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_run.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {

using test::quote;
using test::run_ttgs;
using test::RunResult;

// export converts between every splat format; every command that reads splats takes them; the lossy formats lose
// little on a fitted scene's test views.
TEST(Cli, ExportConvertsAndEveryCommandReadsTheFormats) {
  test::TempDir dir;
  RunResult r = run_ttgs("--quiet synth --out " + quote(dir / "s") + " --views 8 --novel 2 --width 48 --height 32 "
                         "--points 600", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_ttgs("--quiet fit --data " + quote(dir / "s") + " --out " + quote(dir / "fit") + " --iters 60", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto test_psnr = [&](const std::string& scene) {
    const RunResult e = run_ttgs("--quiet eval --scene " + quote(scene) + " --data " + quote(dir / "s") + " --json", dir);
    EXPECT_EQ(e.code, 0) << e.err;
    return nlohmann::json::parse(e.out).at("psnr").get<double>();
  };
  const double base = test_psnr(dir / "fit/scene.ply");
  for (const std::string ext : {"spz", "compressed.ply", "splat", "glb"}) {
    const std::string out = dir / ("deep/er/scene." + ext);  // parents created
    r = run_ttgs("--quiet export --scene " + quote(dir / "fit/scene.ply") + " --out " + quote(out), dir);
    ASSERT_EQ(r.code, 0) << ext << ": " << r.err;
    EXPECT_GT(test_psnr(out), base - (ext == "splat" ? 1.5 : 0.5)) << ext;  // .splat drops the SH rest
    r = run_ttgs("--quiet info --json " + quote(out), dir);
    EXPECT_EQ(nlohmann::json::parse(r.out).at("num_gaussians").get<int>(),
              nlohmann::json::parse(run_ttgs("--quiet info --json " + quote(dir / "fit/scene.ply"), dir).out)
                  .at("num_gaussians").get<int>()) << ext;
  }
  r = run_ttgs("--quiet fit --data " + quote(dir / "s") + " --init " + quote(dir / "deep/er/scene.spz") + " --out " +
               quote(dir / "fit2") + " --iters 5", dir);
  EXPECT_EQ(r.code, 0) << r.err;
  r = run_ttgs("--quiet refine --data " + quote(dir / "s") + " --init " + quote(dir / "deep/er/scene.glb") +
               " --out " + quote(dir / "ref") + " --steps-pose 2 --steps-gs 2", dir);
  EXPECT_EQ(r.code, 0) << r.err;
  for (const std::string& bad : {"--out " + quote(dir / "x.obj"), "--out " + quote(dir / "y.spz") + " --spz-sh-bits 9,4"}) {
    r = run_ttgs("--quiet export --scene " + quote(dir / "fit/scene.ply") + " " + bad, dir);
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_EQ(r.err.rfind("ttgs: error: --", 0), 0u) << r.err;
  }
  test::write_text(dir / "broken.spz", "NGSP but not really");
  r = run_ttgs("--quiet eval --scene " + quote(dir / "broken.spz") + " --data " + quote(dir / "s"), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("broken.spz"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.obj"));
  EXPECT_FALSE(std::filesystem::exists(dir / "y.spz"));
}

// bench fit: the quality curve of `ttgs fit` with the same options, and the time each target PSNR is reached.
TEST(Cli, BenchFitReportsTimeToQuality) {
  test::TempDir dir;
  RunResult r = run_ttgs("--quiet synth --out " + quote(dir / "s") + " --views 6 --novel 2 --width 40 --height 30 "
                         "--points 400", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_ttgs("--quiet bench fit --data " + quote(dir / "s") + " --iters 40 --eval-every 20 --target-psnr 5 "
               "--target-psnr 99 --json", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.at("curve").size(), 2u);
  EXPECT_EQ(j["curve"][1]["step"], 40);
  EXPECT_GT(j["curve"][1]["optimization_s"].get<double>(), j["curve"][0]["optimization_s"].get<double>());
  EXPECT_NEAR(j["curve"][1]["test_psnr"].get<double>(), j["final_test_psnr"].get<double>(), 1e-9);
  EXPECT_DOUBLE_EQ(j["time_to_psnr"][0]["optimization_s"].get<double>(), j["curve"][0]["optimization_s"].get<double>());
  EXPECT_TRUE(j["time_to_psnr"][1]["optimization_s"].is_null());
  r = run_ttgs("--quiet bench fit --data " + quote(dir / "s") + " --eval-every 0", dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("ttgs: error: --eval-every", 0), 0u) << r.err;
  // The densification schedule options take effect (an early, frequent, low-threshold schedule grows the model;
  // one that stops before it starts does not) and bad values are refused.
  const auto count_after = [&](const std::string& options) {
    const RunResult f = run_ttgs("--quiet bench fit --data " + quote(dir / "s") + " --iters 60 --eval-every 60 --json " +
                                 options, dir);
    EXPECT_EQ(f.code, 0) << f.err;
    return nlohmann::json::parse(f.out).at("curve").at(0).at("num_gaussians").get<int>();
  };
  EXPECT_GT(count_after("--densify-start 5 --densify-every 10 --densify-grad 0.00001"), 400);
  EXPECT_EQ(count_after("--densify-start 5 --densify-every 10 --densify-grad 0.00001 --densify-stop 0"), 400);
  for (const std::string bad : {"--densify-every 0", "--densify-grad 0", "--densify-start -2", "--opacity-reset-every 0"}) {
    r = run_ttgs("--quiet fit --data " + quote(dir / "s") + " --out " + quote(dir / "f") + " " + bad, dir);
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_EQ(r.err.rfind("ttgs: error: " + bad.substr(0, bad.find(' ')) + ":", 0), 0u) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "f")) << bad;
  }
}

}  // namespace
}  // namespace ttgs
