// The CLI contract on bad input: exit code 2 and exactly one line on stderr, `ttgs: error: <path>: <what>`.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/splat_data.hpp"
#include "io/colmap.hpp"
#include "io/image_io.hpp"
#include "io/npy.hpp"
#include "io/ply.hpp"

#include "cli_run.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {

using test::quote;
using test::run_ttgs;
using test::RunResult;

SplatData small_splats() {
  SplatData s;
  s.resize(3, 1);
  for (size_t i = 0; i < 3; ++i) s.quats[i * 4] = 1.f;
  return s;
}

const char* kIdentity = "[[1,0,0,0],[0,1,0,0],[0,0,1,-3],[0,0,0,1]]";

// A valid two-frame dataset in `dir`; `frame_extra` is appended to the first frame's JSON object.
void valid_dataset(const test::TempDir& dir, const std::string& frame_extra = "", int w = 8, int h = 6) {
  test::write_png(dir / "images/a.png", Image(8, 6, 3, 0.5f));
  test::write_png(dir / "images/b.png", Image(8, 6, 3, 0.5f));
  test::write_text(dir / "transforms.json",
                   "{\"fl_x\": 10, \"w\": " + std::to_string(w) + ", \"h\": " + std::to_string(h) +
                       ", \"frames\": [{\"file_path\": \"images/a.png\", \"transform_matrix\": " + kIdentity + frame_extra +
                       "}, {\"file_path\": \"images/b.png\", \"transform_matrix\": " + kIdentity + "}]}");
}

void valid_colmap(const test::TempDir& dir, const std::string& cameras_txt) {
  std::filesystem::create_directories(dir / "sparse/0");
  test::write_png(dir / "images/a.png", Image(8, 6, 3, 0.5f));
  test::write_text(dir / "sparse/0/cameras.txt", cameras_txt);
  test::write_text(dir / "sparse/0/images.txt", "1 1 0 0 0 0 0 0 1 a.png\n\n");
  test::write_text(dir / "sparse/0/points3D.txt", "");
}

struct BadCase {
  std::string name;
  // Creates the bad input inside the folder and returns {argument for `ttgs info`, text the error must name}.
  std::function<std::pair<std::string, std::string>(const test::TempDir&)> make;
};

std::vector<BadCase> bad_cases() {
  using P = std::pair<std::string, std::string>;
  const std::string good_ply = io::encode_splat_ply(small_splats());
  return {
      {"missing file", [](auto& d) { return P{d / "nope.ply", "nope.ply"}; }},
      {"empty path", [](auto&) { return P{"''", ""}; }},
      {"ply truncated", [good_ply](auto& d) { test::write_text(d / "t.ply", good_ply.substr(0, good_ply.size() - 5)); return P{d / "t.ply", "t.ply"}; }},
      {"ply wrong count", [good_ply](auto& d) {
         std::string b = good_ply;
         b.replace(b.find("vertex 3"), 8, "vertex 4");
         test::write_text(d / "c.ply", b);
         return P{d / "c.ply", "c.ply"}; }},
      {"ply NaN", [](auto& d) {
         SplatData s = small_splats();
         s.means[1] = NAN;
         io::write_splat_ply(d / "n.ply", s);
         return P{d / "n.ply", "NaN"}; }},
      {"ply inf", [](auto& d) {
         SplatData s = small_splats();
         s.log_scales[2] = -INFINITY;
         io::write_splat_ply(d / "i.ply", s);
         return P{d / "i.ply", "i.ply"}; }},
      {"ply bad magic", [](auto& d) { test::write_text(d / "m.ply", "PLY?\n"); return P{d / "m.ply", "magic"}; }},
      {"ply empty file", [](auto& d) { test::write_text(d / "e.ply", ""); return P{d / "e.ply", "e.ply"}; }},
      {"ply bad sh count", [good_ply](auto& d) {
         std::string b = good_ply;
         b.replace(b.find("property float f_rest_8\n"), 24, "property float zzzzzz_8\n");
         test::write_text(d / "sh.ply", b);
         return P{d / "sh.ply", "SH degree"}; }},
      {"ply ascii garbage", [](auto& d) {
         test::write_text(d / "a.ply", "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\n"
                                       "property float z\nend_header\n1 2 three\n");
         return P{d / "a.ply", "a.ply"}; }},
      {"ply no xyz", [](auto& d) {
         test::write_text(d / "x.ply", "ply\nformat ascii 1.0\nelement vertex 1\nproperty float q\nend_header\n1\n");
         return P{d / "x.ply", "'x'"}; }},
      {"colmap unknown model", [](auto& d) { valid_colmap(d, "1 FOV 8 6 10 4 3 0.1 0.2\n"); return P{d.path(), "FOV"}; }},
      {"colmap bad number", [](auto& d) { valid_colmap(d, "1 PINHOLE 8 6 ten 10 4 3\n"); return P{d.path(), "cameras.txt"}; }},
      {"colmap truncated binary", [](auto& d) {
         std::filesystem::create_directories(d / "sparse/0");
         test::write_png(d / "images/a.png", Image(8, 6, 3, 0.5f));
         test::write_text(d / "sparse/0/cameras.bin", std::string("\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00", 10));
         return P{d.path(), "cameras.bin"}; }},
      {"colmap missing camera", [](auto& d) {
         valid_colmap(d, "1 PINHOLE 8 6 10 10 4 3\n");
         test::write_text(d / "sparse/0/images.txt", "1 1 0 0 0 0 0 0 9 a.png\n\n");
         return P{d.path(), "camera 9"}; }},
      {"colmap no images folder", [](auto& d) {
         std::filesystem::create_directories(d / "sparse/0");
         test::write_text(d / "sparse/0/cameras.txt", "1 PINHOLE 8 6 10 10 4 3\n");
         test::write_text(d / "sparse/0/images.txt", "");
         return P{d / "sparse/0", "images"}; }},
      {"json invalid", [](auto& d) { test::write_text(d / "transforms.json", "{\"frames\": [}"); return P{d.path(), "transforms.json"}; }},
      {"json empty frames", [](auto& d) { test::write_text(d / "transforms.json", "{\"fl_x\": 1, \"frames\": []}"); return P{d.path(), "empty"}; }},
      {"json all images missing", [](auto& d) {
         test::write_text(d / "transforms.json", std::string("{\"fl_x\": 1, \"w\": 4, \"h\": 4, \"frames\": [{\"file_path\": \"x.png\", "
                                                             "\"transform_matrix\": ") + kIdentity + "}]}");
         return P{d.path(), "missing"}; }},
      {"json matrix with string", [](auto& d) {
         test::write_png(d / "a.png", Image(4, 4, 3));
         test::write_text(d / "transforms.json", "{\"fl_x\": 1, \"frames\": [{\"file_path\": \"a.png\", \"transform_matrix\": "
                                                 "[[1,0,0,0],[0,1,0,0],[0,0,1,\"x\"],[0,0,0,1]]}]}");
         return P{d.path(), "transform_matrix"}; }},
      {"json fisheye", [](auto& d) {
         valid_dataset(d);
         std::string j = test::read_text(d / "transforms.json");
         test::write_text(d / "transforms.json", "{\"camera_model\": \"OPENCV_FISHEYE\", " + j.substr(1));
         return P{d.path(), "OPENCV_FISHEYE"}; }},
      {"json singular pose", [](auto& d) {
         test::write_png(d / "a.png", Image(4, 4, 3));
         test::write_text(d / "transforms.json", "{\"fl_x\": 1, \"frames\": [{\"file_path\": \"a.png\", \"transform_matrix\": "
                                                 "[[0,0,0,0],[0,0,0,0],[0,0,0,0],[0,0,0,1]]}]}");
         return P{d.path(), "rotation"}; }},
      {"zero-byte image", [](auto& d) { valid_dataset(d); test::write_text(d / "images/b.png", ""); return P{d.path(), "b.png"}; }},
      {"undecodable image", [](auto& d) { valid_dataset(d); test::write_text(d / "images/b.png", "\x89PNG garbage"); return P{d.path(), "b.png"}; }},
      {"image size disagrees", [](auto& d) { valid_dataset(d, "", 16, 12); return P{d.path(), "a.png"}; }},
      {"mask wrong size", [](auto& d) {
         valid_dataset(d, ", \"mask_path\": \"m.png\"");
         test::write_png(d / "m.png", Image(4, 3, 1, 1.f));
         return P{d.path(), "m.png"}; }},
      {"depth truncated npy", [](auto& d) {
         valid_dataset(d, ", \"depth_file_path\": \"d.npy\"");
         io::write_npy_float32(d / "d.npy", Image(8, 6, 1, 1.f));
         std::string b = test::read_text(d / "d.npy");
         test::write_text(d / "d.npy", b.substr(0, b.size() - 4));
         return P{d.path(), "d.npy"}; }},
      {"depth NaN", [](auto& d) {
         valid_dataset(d, ", \"depth_file_path\": \"d.npy\"");
         io::write_npy_float32(d / "d.npy", Image(8, 6, 1, NAN));
         return P{d.path(), "d.npy"}; }},
      {"non-UTF-8 path", [](auto& d) { return P{d / "bad\xff\xfename.json", "bad\\xFF\\xFEname"}; }},
      {"not a dataset folder", [](auto& d) { return P{d.path(), "not a dataset"}; }},
      {"text file as dataset", [](auto& d) { test::write_text(d / "notes.txt", "hello"); return P{d / "notes.txt", "notes.txt"}; }},
      {"point cloud NaN", [](auto& d) {
         valid_dataset(d, "");
         io::write_point_cloud_ply(d / "p.ply", PointCloud{{0, NAN, 0}, {}});
         std::string j = test::read_text(d / "transforms.json");
         test::write_text(d / "transforms.json", "{\"ply_file_path\": \"p.ply\", " + j.substr(1));
         return P{d.path(), "p.ply"}; }},
  };
}

TEST(Cli, MalformedInputsExitTwoWithOneErrorLine) {
  const auto cases = bad_cases();
  EXPECT_GE(cases.size(), 25u);
  for (const BadCase& c : cases) {
    test::TempDir dir;
    const auto [arg, must_name] = c.make(dir);
    const std::string a = arg.rfind("'", 0) == 0 ? arg : quote(arg);
    const RunResult r = run_ttgs("info " + a, dir);
    EXPECT_EQ(r.code, 2) << c.name << ": " << r.err;
    EXPECT_EQ(r.err.rfind("ttgs: error: ", 0), 0u) << c.name << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find(must_name), std::string::npos) << c.name << ": error does not name '" << must_name << "': " << r.err;
    EXPECT_TRUE(r.out.empty()) << c.name;
  }
}

TEST(Cli, HelpVersionAndUsageErrors) {
  test::TempDir dir;
  RunResult r = run_ttgs("--version", dir);
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("ttgs ", 0), 0u);
  r = run_ttgs("--help", dir);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("info"), std::string::npos);
  r = run_ttgs("info --help", dir);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--json"), std::string::npos);
  r = run_ttgs("frobnicate", dir);
  EXPECT_EQ(r.code, 2);
  r = run_ttgs("info", dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("ttgs: error: ", 0), 0u);
}

TEST(Cli, InfoJsonOnDatasetAndPly) {
  test::TempDir dir;
  valid_dataset(dir);
  RunResult r = run_ttgs("info --json " + quote(dir.path()), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  for (const std::string key : {"\"num_images\":2", "\"num_missing\":0", "\"num_points\":0", "\"width\":8", "\"height\":6",
                                "\"camera_model\":\"PINHOLE\"", "\"has_distortion\":false", "\"num_train\":1", "\"num_test\":1"})
    EXPECT_NE(r.out.find(key), std::string::npos) << key << " in " << r.out;
  io::write_splat_ply(dir / "s.ply", small_splats());
  r = run_ttgs("info --json " + quote(dir / "s.ply"), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"num_gaussians\":3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"sh_degree\":1"), std::string::npos) << r.out;
}

TEST(Cli, SynthOutputLoadsThroughInfo) {
  test::TempDir dir;
  for (const std::string preset : {"object", "street"}) {
    RunResult r = run_ttgs("--quiet synth --preset " + preset + " --out " + quote(dir / preset) +
                               " --views 4 --novel 2 --width 64 --height 48 --points 500 --seed 3", dir);
    ASSERT_EQ(r.code, 0) << r.err;
    r = run_ttgs("info --json " + quote(dir / preset), dir);
    ASSERT_EQ(r.code, 0) << r.err;
    for (const std::string key : {"\"num_images\":6", "\"num_points\":500", "\"num_train\":4", "\"num_test\":2",
                                  "\"width\":64", "\"height\":48", "\"num_missing\":0"})
      EXPECT_NE(r.out.find(key), std::string::npos) << key << " in " << r.out;
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "street/actors.json"));
  for (const std::string bad : {"--preset forest", "--views 1", "--width 0", "--randomize colours", "--supersample 99",
                                "--point-outliers 2"}) {
    const RunResult r = run_ttgs("synth --out " + quote(dir / "bad") + " " + bad, dir);
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_EQ(r.err.rfind("ttgs: error: ", 0), 0u) << bad << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "bad")) << bad;
  }
}

TEST(Cli, RenderAndEvalAScene) {
  test::TempDir dir;
  RunResult r = run_ttgs("--quiet synth --out " + quote(dir / "s") + " --views 4 --novel 2 --width 48 --height 32 --points 800",
                         dir);
  ASSERT_EQ(r.code, 0) << r.err;
  // The scaffold as a (plain point cloud) PLY is not a 3DGS scene: a clear error.
  r = run_ttgs("eval --ply " + quote(dir / "s/scaffold.ply") + " --data " + quote(dir / "s"), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("point cloud"), std::string::npos) << r.err;
  SplatData splats;
  splats.resize(2, 0);
  for (size_t i = 0; i < 2; ++i) splats.quats[i * 4] = 1.f;
  io::write_splat_ply(dir / "g.ply", splats);
  r = run_ttgs("--quiet render --ply " + quote(dir / "g.ply") + " --data " + quote(dir / "s") + " --split all --out " +
                   quote(dir / "renders"),
               dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir / "renders"), {}), 6);
  r = run_ttgs("--quiet eval --json --ply " + quote(dir / "g.ply") + " --data " + quote(dir / "s"), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"num_images\":2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"per_image\""), std::string::npos);
  const std::string by_ply = r.out;
  r = run_ttgs("--quiet eval --json --scene " + quote(dir / "g.ply") + " --data " + quote(dir / "s"), dir);
  EXPECT_EQ(r.out, by_ply) << "--scene takes a .ply as --ply does";
  r = run_ttgs("eval --ply " + quote(dir / "g.ply") + " --data " + quote(dir / "s") + " --split dev", dir);
  EXPECT_EQ(r.code, 2);
  r = run_ttgs("eval --ply " + quote(dir / "missing.ply") + " --data " + quote(dir / "s"), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("missing.ply"), std::string::npos);
  // Every frame listed as a test frame: rendering and evaluating need no training split; fitting does.
  test::TempDir all_test;
  valid_dataset(all_test);
  std::string transforms = test::read_text(all_test / "transforms.json");
  transforms.insert(1, "\"test_filenames\": [\"images/a.png\", \"images/b.png\"], ");
  test::write_text(all_test / "transforms.json", transforms);
  r = run_ttgs("--quiet render --ply " + quote(dir / "g.ply") + " --data " + quote(all_test.path()) +
                   " --split all --threads 1 --out " + quote(dir / "all"), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir / "all"), {}), 2);
  r = run_ttgs("--quiet eval --json --ply " + quote(dir / "g.ply") + " --data " + quote(all_test.path()), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"num_images\":2"), std::string::npos) << r.out;
  r = run_ttgs("fit --data " + quote(all_test.path()) + " --out " + quote(dir / "nofit"), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no training frame"), std::string::npos) << r.err;
  // --threads on every command that computes; a negative count is an option error.
  for (const std::string cmd : {"eval --ply x --data y", "render --ply x --data y --out z", "info x",
                                "fit --data y --out z", "reconstruct --data y --out z", "bench render"}) {
    r = run_ttgs(cmd + " --threads -4", dir);
    EXPECT_EQ(r.code, 2) << cmd;
    EXPECT_NE(r.err.find("--threads: must not be negative"), std::string::npos) << cmd << ": " << r.err;
  }
  // --image-memory (MiB) on the commands that read frames lazily: a whole number, not negative.
  for (const std::string cmd : {"eval --ply x --data y", "fit --data y --out z", "bench fit --data y"}) {
    r = run_ttgs(cmd + " --image-memory -1", dir);
    EXPECT_EQ(r.code, 2) << cmd;
    EXPECT_NE(r.err.find("--image-memory: must not be negative"), std::string::npos) << cmd << ": " << r.err;
    r = run_ttgs(cmd + " --image-memory 2.5", dir);
    EXPECT_NE(r.err.find("--image-memory: must be a whole number"), std::string::npos) << cmd << ": " << r.err;
  }
  // refine's --steps-gs: a count (its default, 50 passes over the training frames, is not a value to pass).
  r = run_ttgs("refine --data y --init x --out z --steps-gs -1", dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--steps-gs: must not be negative"), std::string::npos) << r.err;
  // A PLY without points cannot start a fit.
  test::write_text(dir / "empty.ply", "ply\nformat binary_little_endian 1.0\nelement vertex 0\nproperty float x\n"
                                      "property float y\nproperty float z\nend_header\n");
  r = run_ttgs("fit --data " + quote(dir / "s") + " --init " + quote(dir / "empty.ply") + " --out " + quote(dir / "f0"), dir);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("empty.ply: has no points"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "f0"));
}

// fit end to end: outputs and checkpoint; --resume from the last checkpoint rewrites an identical scene.ply; bad
// options and a corrupt checkpoint fail cleanly.
TEST(Cli, FitWritesOutputsAndResumes) {
  test::TempDir dir;
  RunResult r = run_ttgs("--quiet synth --out " + quote(dir / "s") + " --views 4 --novel 2 --width 48 --height 32 --points 800",
                         dir);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string fit = "--quiet fit --data " + quote(dir / "s") + " --out " + quote(dir / "out") +
                          " --iters 30 --checkpoint-every 20 --sh-degree 1 --strategy mcmc --threads 2";
  r = run_ttgs(fit, dir);
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"scene.ply", "report.json", "cameras.json", "checkpoint.ttgs"})
    EXPECT_TRUE(std::filesystem::exists(dir / ("out/" + std::string(f)))) << f;
  const std::string first = test::read_text(dir / "out/scene.ply");
  EXPECT_NE(test::read_text(dir / "out/report.json").find("\"strategy\": \"mcmc\""), std::string::npos);
  r = run_ttgs(fit + " --resume", dir);  // continues from step 20
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(test::read_text(dir / "out/scene.ply") == first) << "resumed run differs";
  // Resuming with other options is refused and leaves the outputs as they were.
  r = run_ttgs(fit + " --resume --seed 9", dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("checkpoint.ttgs"), std::string::npos) << r.err;
  test::write_text(dir / "out/checkpoint.ttgs", "TTGSARC1 garbage");
  r = run_ttgs(fit + " --resume", dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("checkpoint.ttgs"), std::string::npos) << r.err;
  EXPECT_TRUE(test::read_text(dir / "out/scene.ply") == first);
  for (const std::string& bad : std::vector<std::string>{"--strategy adc", "--lpips " + quote(dir / "none.pt"),
                                                        "--iters 0", "--max-gaussians -1"}) {
    r = run_ttgs("fit --data " + quote(dir / "s") + " --out " + quote(dir / "bad") + " " + bad, dir);
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_EQ(r.err.rfind("ttgs: error: ", 0), 0u) << bad << ": " << r.err;
  }
  // Scene-model options on data and files that cannot take them: one line, exit 2.
  for (const std::string& bad :
       std::vector<std::string>{"eval --ply " + quote(dir / "out/scene.ply") + " --data " + quote(dir / "s") +
                                    " --edit remove:car_0",
                                "eval --scene " + quote(dir / "nowhere") + " --data " + quote(dir / "s"),
                                "eval --ply " + quote(dir / "out/scene.ply") + " --data " + quote(dir / "s") +
                                    " --test-frames 5",
                                "export --scene " + quote(dir / "nowhere") + " --out " + quote(dir / "x.ply"),
                                "fit --data " + quote(dir / "s") + " --out " + quote(dir / "bad") + " --dynamic maybe"}) {
    r = run_ttgs("--quiet " + bad, dir);
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_EQ(r.err.rfind("ttgs: error: ", 0), 0u) << bad << ": " << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "x.ply"));
}

// refine end to end: outputs, a transforms.json the loader reads back with the same frames, clear errors.
TEST(Cli, RefineWritesOutputsThatLoadBack) {
  test::TempDir dir;
  RunResult r = run_ttgs("--quiet synth --out " + quote(dir / "s") + " --views 4 --novel 2 --width 48 --height 32 --points 800",
                         dir);
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_ttgs("--quiet fit --data " + quote(dir / "s") + " --out " + quote(dir / "fit") + " --iters 20 --sh-degree 0",
               dir);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string refine = "--quiet refine --data " + quote(dir / "s") + " --init " + quote(dir / "fit/scene.ply");
  r = run_ttgs(refine + " --out " + quote(dir / "ref") + " --steps-pose 3 --steps-gs 3 --depth " + quote(dir / "s/depth"),
               dir);
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"scene.ply", "report.json", "cameras.json", "transforms.json"})
    EXPECT_TRUE(std::filesystem::exists(dir / ("ref/" + std::string(f)))) << f;
  const std::string report = test::read_text(dir / "ref/report.json");
  for (const char* key : {"\"before\"", "\"after\"", "\"val\"", "\"poses\"", "\"stages\"", "\"rotation_deg\"",
                          "\"depth_alignment\"", "\"stop_reason\""})
    EXPECT_NE(report.find(key), std::string::npos) << key;
  r = run_ttgs("info --json " + quote(dir / "ref"), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"num_images\":6"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"num_train\":4"), std::string::npos) << r.out;
  r = run_ttgs("--quiet eval --json --ply " + quote(dir / "ref/scene.ply") + " --data " + quote(dir / "ref"), dir);
  EXPECT_EQ(r.code, 0) << r.err;
  for (const std::string& bad : std::vector<std::string>{"--attrs opacity,shine", "--stages posture", "--val nosuch.png",
                                                        "--steps-pose -1", "--depth " + quote(dir / "nodepth"),
                                                        "--ransac-sample 1"}) {
    r = run_ttgs(refine + " --out " + quote(dir / "bad") + " " + bad, dir);
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_EQ(r.err.rfind("ttgs: error: ", 0), 0u) << bad << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "bad")) << bad;
  }
}

// init builds a 4D scene folder from a street's LiDAR or depth maps in one go; refine takes it (--init FOLDER) and
// writes a scene folder with the refined tracks that eval reads; bad sources and parts exit 2 writing nothing.
TEST(Cli, InitThenRefineAStreetSceneFolder) {
  test::TempDir dir;
  RunResult r = run_ttgs("--quiet synth --preset street --cameras 2 --views 3 --novel 0 --width 64 --height 48 --lidar "
                         "--out " + quote(dir / "s"), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* source : {"lidar", "depth"}) {
    r = run_ttgs(std::string("--quiet init --data ") + quote(dir / "s") + " --source " + source + " --out " +
                     quote(dir / ("init_" + std::string(source))), dir);
    ASSERT_EQ(r.code, 0) << source << ": " << r.err;
    for (const char* f : {"scene.json", "static.ply", "actors.json", "scene.ply"})
      EXPECT_TRUE(std::filesystem::exists(dir / ("init_" + std::string(source) + "/" + f))) << source << " " << f;
  }
  r = run_ttgs("--quiet eval --json --split all --scene " + quote(dir / "init_depth") + " --data " + quote(dir / "s"), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"dynamic_psnr\""), std::string::npos) << r.out;
  const std::string refine = "--quiet refine --data " + quote(dir / "s") + " --test-frames 1 --init " +
                             quote(dir / "init_lidar/scene.json");
  r = run_ttgs(refine + " --out " + quote(dir / "ref") + " --steps-pose 2 --steps-actors 2 --steps-gs 2", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"scene.json", "actors.json", "transforms.json", "report.json"})
    EXPECT_TRUE(std::filesystem::exists(dir / ("ref/" + std::string(f)))) << f;
  EXPECT_NE(test::read_text(dir / "ref/report.json").find("\"actor_corrections\""), std::string::npos);
  // A time series' scene model is antialiased by default, and refine keeps the mode it was trained in.
  const auto antialiased = [&](const char* folder) {
    return nlohmann::json::parse(test::read_text(dir / (std::string(folder) + "/scene.json"))).value("antialiased", false);
  };
  EXPECT_TRUE(antialiased("init_lidar"));
  EXPECT_TRUE(antialiased("ref"));
  r = run_ttgs("--quiet init --data " + quote(dir / "s") + " --antialiased off --out " + quote(dir / "init_plain"), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(antialiased("init_plain"));
  // Export bakes a timestamp into a standard file and says what a viewer without the compensation shows.
  for (const char* folder : {"init_lidar", "init_plain"}) {
    r = run_ttgs("export --scene " + quote(dir / folder) + " --out " + quote(dir / (std::string(folder) + ".ply")), dir);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.find("trained antialiased") != std::string::npos, antialiased(folder)) << r.out;
  }
  r = run_ttgs("--quiet eval --json --split all --scene " + quote(dir / "ref") + " --data " + quote(dir / "ref"), dir);
  EXPECT_EQ(r.code, 0) << r.err;
  r = run_ttgs(refine + " --out " + quote(dir / "ladder") + " --ablation --steps-pose 2 --steps-actors 2 --steps-gs 2", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json ladder = nlohmann::json::parse(test::read_text(dir / "ladder/ablation.json"));
  ASSERT_EQ(ladder.at("rows").size(), 6u);
  double held_out = -1;
  for (const nlohmann::json& row : ladder.at("rows")) {
    EXPECT_TRUE(row.at("val").at("psnr").is_number()) << row;
    const std::string name = row.at("name");
    if (name.rfind("pose, bilinear", 0) == 0 || name == "+ gaussians (full)") continue;  // side branches
    EXPECT_GE(row.at("val").at("psnr").get<double>(), held_out - 1e-9) << name;  // the ladder never loses held-out PSNR
    held_out = row.at("val").at("psnr").get<double>();
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "ladder/ablation.md"));
  EXPECT_TRUE(std::filesystem::exists(dir / "ladder/scene.json"));
  for (const std::string& bad : std::vector<std::string>{"init --stride 0", "init --source radar", "init --surfels 2",
                                                        "refine --parts static,clouds", "refine --stages actors,paint"}) {
    const bool init = bad.rfind("init", 0) == 0;
    const std::string args = init ? "init --data " + quote(dir / "s") + " --out " + quote(dir / "bad") + bad.substr(4)
                                  : refine + " --out " + quote(dir / "bad") + bad.substr(6);
    r = run_ttgs(args, dir);
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_EQ(r.err.rfind("ttgs: error: ", 0), 0u) << bad << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "bad")) << bad;
  }
}

// An installed program (PREFIX/bin/ttgs) finds its model in PREFIX/share/ttgs/, not in the source tree: a broken
// file placed there is the one reconstruct reports.
TEST(Cli, InstalledProgramLooksForItsModelBesideIt) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "prefix/bin");
  std::filesystem::create_directories(dir / "prefix/share/ttgs");
  std::filesystem::copy_file(TTGS_BINARY, dir / "prefix/bin/ttgs");
  test::write_text(dir / "prefix/share/ttgs/g3r.ttgs", "not a model");
  RunResult r = run_ttgs("--quiet synth --out " + quote(dir / "s") + " --views 3 --novel 1 --width 32 --height 24", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string cmd = quote(dir / "prefix/bin/ttgs") + " reconstruct --data " + quote(dir / "s") + " --out " +
                          quote(dir / "out") + " >" + quote(dir / "stdout") + " 2>" + quote(dir / "stderr");
  const int status = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 2);
  const std::string err = test::read_text(dir / "stderr");
  EXPECT_NE(err.find(dir / "prefix/share/ttgs/g3r.ttgs"), std::string::npos) << err;
}

// train-optimizer and reconstruct end to end on tiny scenes, and their errors.
TEST(Cli, TrainOptimizerThenReconstruct) {
  test::TempDir dir;
  for (const char* name : {"a", "b"}) {
    const RunResult r = run_ttgs(std::string("--quiet synth --out ") + quote(dir / name) +
                                     " --views 4 --novel 1 --width 48 --height 32 --points 600 --seed " +
                                     (name[0] == 'a' ? "1" : "2"), dir);
    ASSERT_EQ(r.code, 0) << r.err;
  }
  const std::string model = dir / "m.ttgs";
  RunResult r = run_ttgs("--quiet train-optimizer --scenes " + quote(dir / "a") + " " + quote(dir / "b") + " --out " +
                             quote(model) + " --iters 4 --steps 2 --hidden 4 --levels 2 --latent 4 --checkpoint-every 2",
                         dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(model));
  EXPECT_NE(test::read_text(model + ".svg").find("<polyline"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(model + ".ckpt"));
  r = run_ttgs("--quiet reconstruct --data " + quote(dir / "a") + " --model " + quote(model) + " --out " +
                   quote(dir / "rec") + " --baselines", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json report = nlohmann::json::parse(test::read_text(dir / "rec/report.json"));
  EXPECT_EQ(report.at("iters"), 2);
  EXPECT_EQ(report.at("num_gaussians"), 600);
  EXPECT_GT(report.at("metrics").at("test").at("psnr").get<double>(), 5.0);
  const nlohmann::json& ttt = report.at("test_time_training");
  EXPECT_EQ(ttt.at("ran"), true);
  EXPECT_EQ(ttt.at("check_views").size(), 1u);  // a quarter of the 4 source views
  EXPECT_EQ(ttt.at("losses").size(), 1u);       // by default at least the last quarter of the steps (one of 2) adapt
  EXPECT_TRUE(ttt.contains("gain_test_psnr"));
  if (ttt.at("kept") == false) {
    EXPECT_EQ(ttt.at("gain_test_psnr").get<double>(), 0.0);  // the steps taken again without adaptation
  }
  ASSERT_EQ(report.at("baselines").size(), 4u);
  // Plain fit gets as many iterations as the reconstruction took view renders: the learned steps' (all 4 source views
  // for the first, the 3 left after the check view for the adapting one), plus test-time training's check (the
  // check view decoded twice) and, when not kept, the adapting step taken again.
  EXPECT_EQ(ttt.at("view_renders").get<int>(), ttt.at("kept") == true ? 2 : 2 + 3);
  EXPECT_EQ(report.at("view_renders").get<int>(), 4 + 3 + ttt.at("view_renders").get<int>());
  EXPECT_EQ(report.at("baselines")[3].at("steps"), report.at("view_renders"));
  for (int k = 0; k < 3; ++k) {
    const nlohmann::json& b = report.at("baselines")[size_t(k)];
    EXPECT_EQ(b.at("steps").get<int>(), 2 * (k == 0 ? 1 : k == 1 ? 10 : 40));
    EXPECT_GT(b.at("test_psnr").get<double>(), 5.0);
    EXPECT_GT(b.at("time_s").get<double>(), 0.0);
    const nlohmann::json& match = b.at("matches_learned_test_psnr_at");  // null when Adam never got there
    if (!match.is_null()) {
      EXPECT_LE(match.at("step").get<int>(), b.at("steps").get<int>());
    }
  }
  // The model was trained for T = 2 only: other step counts are refused before anything is written.
  r = run_ttgs("reconstruct --data " + quote(dir / "a") + " --model " + quote(model) + " --out " + quote(dir / "bad") +
                   " --steps 3", dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--steps"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "bad"));
  // Two local worker processes (Gloo) train one model: one log line per batch of two scenes.
  r = run_ttgs("--quiet train-optimizer --scenes " + quote(dir / "a") + " " + quote(dir / "b") + " --out " +
                   quote(dir / "p.ttgs") + " --iters 2 --steps 2 --hidden 4 --levels 2 --latent 4 --nproc 2", dir);
  if (r.err.find("no Gloo backend") == std::string::npos) {
    ASSERT_EQ(r.code, 0) << r.err;
    std::istringstream log(test::read_text(dir / "p.ttgs.log.jsonl"));
    std::string line;
    int lines = 0;
    for (; std::getline(log, line); ++lines) EXPECT_EQ(nlohmann::json::parse(line).at("scenes").size(), 2u);
    EXPECT_EQ(lines, 2);
    EXPECT_TRUE(std::filesystem::exists(dir / "p.ttgs"));
  }
  // Learned steps that read 3 of the 4 views each: the plain-fit baseline gets as many view renders (T x 3).
  r = run_ttgs("--quiet reconstruct --data " + quote(dir / "a") + " --model " + quote(model) + " --out " +
                   quote(dir / "rec3") + " --views-per-step 3 --baseline-steps 2 --ttt-steps 0", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  {
    const nlohmann::json rep = nlohmann::json::parse(test::read_text(dir / "rec3/report.json"));
    EXPECT_EQ(rep.at("view_renders").get<int>(), 2 * 3);
    EXPECT_EQ(rep.at("baselines").back().at("steps").get<int>(), 2 * 3);
  }
  r = run_ttgs("reconstruct --data " + quote(dir / "a") + " --model " + quote(model) + " --out " + quote(dir / "bad") +
                   " --views-per-step -1", dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--views-per-step"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "bad"));
  // Fine-tuning the model with 2 views per learned step: the new model starts from its weights and makes 2 views per
  // step reconstruct's default; a model file that does not exist is refused.
  r = run_ttgs("--quiet train-optimizer --scenes " + quote(dir / "a") + " --out " + quote(dir / "f.ttgs") +
                   " --iters 1 --steps 2 --latent 4 --views-per-step 2 --init-model " + quote(model), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_ttgs("--quiet reconstruct --data " + quote(dir / "a") + " --model " + quote(dir / "f.ttgs") + " --out " +
                   quote(dir / "recf") + " --ttt-steps 0", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  {
    const nlohmann::json rep = nlohmann::json::parse(test::read_text(dir / "recf/report.json"));
    EXPECT_EQ(rep.at("views_per_step").get<int>(), 2);
    EXPECT_EQ(rep.at("view_renders").get<int>(), 2 * 2);
  }
  r = run_ttgs("train-optimizer --scenes " + quote(dir / "a") + " --out " + quote(dir / "g.ttgs") +
                   " --iters 1 --steps 2 --latent 4 --init-model " + quote(dir / "missing.ttgs"), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("missing.ttgs"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "g.ttgs"));
  // Without test-time training the report says so.
  r = run_ttgs("--quiet reconstruct --data " + quote(dir / "a") + " --model " + quote(model) + " --out " +
                   quote(dir / "rec0") + " --ttt-steps 0", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(test::read_text(dir / "rec0/report.json")).at("test_time_training").at("ran"), false);
  r = run_ttgs("info --json " + quote(dir / "rec/scene.ply"), dir);
  EXPECT_EQ(r.code, 0) << r.err;
  // A model file that is not one, and a dataset without points: one clear line each, nothing written.
  test::write_text(dir / "bad.ttgs", "TTGSARC1 nope");
  r = run_ttgs("reconstruct --data " + quote(dir / "a") + " --model " + quote(dir / "bad.ttgs") + " --out " +
                   quote(dir / "bad"), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bad.ttgs"), std::string::npos) << r.err;
  test::TempDir plain;
  valid_dataset(plain);
  r = run_ttgs("reconstruct --data " + quote(plain.path()) + " --model " + quote(model) + " --out " + quote(dir / "bad"),
               dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no points"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "bad"));
}

// The bundled model (models/g3r.ttgs, what reconstruct uses without --model) on a small scene it never saw, at its
// default T and at the turbo T = 12: well above the scaffold it starts from, and T outside its trained range refused.
TEST(Cli, BundledModelReconstructsAnUnseenScene) {
  test::TempDir dir;
  RunResult r = run_ttgs("--quiet synth --out " + quote(dir / "s") +
                             " --views 8 --novel 2 --width 64 --height 48 --points 2000 --seed 4242", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* steps : {"", " --steps 12"}) {
    r = run_ttgs("--quiet reconstruct --data " + quote(dir / "s") + " --out " + quote(dir / "rec") + " --threads 2" +
                     steps, dir);
    ASSERT_EQ(r.code, 0) << r.err;
    const nlohmann::json report = nlohmann::json::parse(test::read_text(dir / "rec/report.json"));
    const double start = report.at("initial_metrics").at("test").at("psnr").get<double>();
    const double learned = report.at("metrics").at("test").at("psnr").get<double>();
    std::printf("bundled model,%s T = %d: test PSNR %.2f dB -> %.2f dB\n", steps, report.at("iters").get<int>(), start,
                learned);
    EXPECT_GT(learned, start + 3.0) << steps;
    // The model's calibrated step scale for its T (models/README.md: 0.7 at T = 24, 1 at T = 12).
    EXPECT_DOUBLE_EQ(report.at("step_scale").get<double>(), steps[0] == '\0' ? 0.7 : 1.0) << steps;
  }
  r = run_ttgs("--quiet reconstruct --data " + quote(dir / "s") + " --out " + quote(dir / "rec18") +
                   " --steps 18 --ttt-steps 0",
               dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NEAR(nlohmann::json::parse(test::read_text(dir / "rec18/report.json")).at("step_scale").get<double>(), 0.85,
              1e-9);  // halfway between the calibrated T = 12 and T = 24
  r = run_ttgs("reconstruct --data " + quote(dir / "s") + " --out " + quote(dir / "bad") + " --steps 40", dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--steps"), std::string::npos) << r.err;
  r = run_ttgs("reconstruct --data " + quote(dir / "s") + " --out " + quote(dir / "bad") + " --step-scale -1", dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("ttgs: error: --step-scale"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "bad"));
}

TEST(Cli, RealFoxReportsSkippedFrames) {
  TTGS_REQUIRE_SHARED("fox/transforms.json");
  test::TempDir dir;
  const RunResult r = run_ttgs("info --json --downscale 4 " + quote(test::shared_data("fox")), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("skipped 17 of 67 frames"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("\"num_images\":50"), std::string::npos);
  EXPECT_NE(r.out.find("\"num_missing\":17"), std::string::npos);
  EXPECT_NE(r.out.find("\"has_distortion\":true"), std::string::npos);
  EXPECT_NE(r.out.find("\"width\":270"), std::string::npos);
}

TEST(Cli, RealSplatsAndColmap) {
  TTGS_REQUIRE_SHARED("splats/plush_dog.ply");
  TTGS_REQUIRE_SHARED("colmap_maupertuis/sparse/0/cameras.txt");
  test::TempDir dir;
  RunResult r = run_ttgs("info --json " + quote(test::shared_data("splats/plush_dog.ply")), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"num_gaussians\":15105"), std::string::npos);
  EXPECT_NE(r.out.find("\"sh_degree\":3"), std::string::npos);
  r = run_ttgs("--quiet info --json " + quote(test::shared_data("colmap_maupertuis")), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_NE(r.out.find("\"num_images\":4"), std::string::npos);
  EXPECT_NE(r.out.find("\"num_points\":1039"), std::string::npos);
}

}  // namespace
}  // namespace ttgs
