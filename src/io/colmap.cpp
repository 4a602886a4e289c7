#include "io/colmap.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <limits>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "io/file_util.hpp"

namespace ttgs::io {
namespace {

struct ModelInfo {
  int id;
  const char* name;
  int params;
};
constexpr ModelInfo kModels[] = {{0, "SIMPLE_PINHOLE", 3}, {1, "PINHOLE", 4},        {2, "SIMPLE_RADIAL", 4},
                                 {3, "RADIAL", 5},         {4, "OPENCV", 8},         {5, "OPENCV_FISHEYE", 8},
                                 {6, "FULL_OPENCV", 12},   {7, "FOV", 5},            {8, "SIMPLE_RADIAL_FISHEYE", 4},
                                 {9, "RADIAL_FISHEYE", 5}, {10, "THIN_PRISM_FISHEYE", 12}};

const ModelInfo* model_by_name(const std::string& n) {
  for (const auto& m : kModels)
    if (n == m.name) return &m;
  return nullptr;
}
const ModelInfo* model_by_id(int id) {
  for (const auto& m : kModels)
    if (id == m.id) return &m;
  return nullptr;
}

// Bounds-checked little-endian reader over a binary COLMAP file.
class BinReader {
 public:
  BinReader(const std::string& b, const std::string& name) : b_(b), name_(name) {}
  template <typename T>
  T get() {
    if (b_.size() - pos_ < sizeof(T)) throw InputError(name_, "truncated COLMAP binary file (ends at byte " + std::to_string(pos_) + ")");
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  double get_finite(const char* what) {
    const double v = get<double>();
    if (!std::isfinite(v)) throw InputError(name_, std::string(what) + " is NaN or infinite");
    return v;
  }
  std::string get_cstring() {
    const size_t end = b_.find('\0', pos_);
    if (end == std::string::npos) throw InputError(name_, "truncated COLMAP binary file (unterminated image name)");
    std::string s = b_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  // A count of records of at least `min_record` bytes each must fit in what is left of the file.
  uint64_t get_count(size_t min_record, const char* what) {
    const uint64_t n = get<uint64_t>();
    if (min_record > 0 && n > (b_.size() - pos_) / min_record)
      throw InputError(name_, std::string("declares ") + std::to_string(n) + " " + what + " but the file is too short for them");
    return n;
  }
  bool at_end() const { return pos_ == b_.size(); }

 private:
  const std::string& b_;
  const std::string& name_;
  size_t pos_ = 0;
};

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

// Text lines without comments and blank lines, with their 1-based line numbers.
std::vector<std::pair<int, std::string>> data_lines(const std::string& text) {
  std::vector<std::pair<int, std::string>> lines;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    lines.emplace_back(n, line);
  }
  return lines;
}

// Whitespace tokenizer with typed, checked reads for text models.
class Tokens {
 public:
  Tokens(const std::string& line, const std::string& name, int line_no) : name_(name), line_no_(line_no) {
    std::istringstream in(line);
    std::string t;
    while (in >> t) tok_.push_back(t);
  }
  size_t size() const { return tok_.size(); }
  size_t left() const { return tok_.size() - i_; }
  template <typename T>
  T get(const char* what) {
    if (i_ >= tok_.size()) fail(std::string("missing ") + what);
    const std::string& t = tok_[i_++];
    T v{};
    const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
    if (r.ec != std::errc() || r.ptr != t.data() + t.size()) fail(std::string("bad ") + what + " '" + t + "'");
    if constexpr (std::is_floating_point_v<T>)
      if (!std::isfinite(v)) fail(std::string(what) + " is NaN or infinite");
    return v;
  }
  std::string word(const char* what) {
    if (i_ >= tok_.size()) fail(std::string("missing ") + what);
    return tok_[i_++];
  }
  [[noreturn]] void fail(const std::string& msg) const {
    throw InputError(name_, "line " + std::to_string(line_no_) + ": " + msg);
  }

 private:
  std::vector<std::string> tok_;
  size_t i_ = 0;
  const std::string& name_;
  int line_no_;
};

void check_model(ColmapCamera& c, const std::string& name) {
  const ModelInfo* m = model_by_name(c.model);
  if (!m) throw InputError(name, "camera " + std::to_string(c.id) + ": unknown camera model '" + c.model + "'");
  if (int(c.params.size()) != m->params)
    throw InputError(name, "camera " + std::to_string(c.id) + ": model " + c.model + " needs " + std::to_string(m->params) +
                               " parameters, got " + std::to_string(c.params.size()));
  if (c.width == 0 || c.height == 0 || c.width > 100000 || c.height > 100000)
    throw InputError(name, "camera " + std::to_string(c.id) + ": bad image size " + std::to_string(c.width) + "x" +
                               std::to_string(c.height));
}

void check_quat(const std::array<double, 4>& q, uint32_t id, const std::string& name) {
  const double n = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  if (!(n > 1e-8)) throw InputError(name, "image " + std::to_string(id) + ": zero rotation quaternion");
}

}  // namespace

int colmap_model_param_count(const std::string& model) {
  const ModelInfo* m = model_by_name(model);
  return m ? m->params : -1;
}

std::map<uint32_t, ColmapCamera> parse_cameras_bin(const std::string& bytes, const std::string& name) {
  BinReader r(bytes, name);
  const uint64_t n = r.get_count(24, "cameras");
  std::map<uint32_t, ColmapCamera> cams;
  for (uint64_t i = 0; i < n; ++i) {
    ColmapCamera c;
    c.id = r.get<uint32_t>();
    const int model_id = r.get<int32_t>();
    const ModelInfo* m = model_by_id(model_id);
    if (!m) throw InputError(name, "camera " + std::to_string(c.id) + ": unknown camera model id " + std::to_string(model_id));
    c.model = m->name;
    c.width = r.get<uint64_t>();
    c.height = r.get<uint64_t>();
    for (int k = 0; k < m->params; ++k) c.params.push_back(r.get_finite("camera parameter"));
    check_model(c, name);
    if (!cams.emplace(c.id, c).second) throw InputError(name, "duplicate camera id " + std::to_string(c.id));
  }
  if (!r.at_end()) throw InputError(name, "trailing bytes after the last camera");
  return cams;
}

std::vector<ColmapImage> parse_images_bin(const std::string& bytes, const std::string& name) {
  BinReader r(bytes, name);
  const uint64_t n = r.get_count(64 + 1 + 8, "images");
  std::vector<ColmapImage> imgs;
  for (uint64_t i = 0; i < n; ++i) {
    ColmapImage im;
    im.id = r.get<uint32_t>();
    for (auto& q : im.qvec) q = r.get_finite("image quaternion");
    for (auto& t : im.tvec) t = r.get_finite("image translation");
    check_quat(im.qvec, im.id, name);
    im.camera_id = r.get<uint32_t>();
    im.name = r.get_cstring();
    if (im.name.empty()) throw InputError(name, "image " + std::to_string(im.id) + " has an empty name");
    const uint64_t np = r.get_count(24, "2-D points");
    im.points2d.resize(np);
    for (auto& p : im.points2d) {
      p.x = r.get<double>();
      p.y = r.get<double>();
      p.point3d_id = r.get<int64_t>();
    }
    imgs.push_back(std::move(im));
  }
  if (!r.at_end()) throw InputError(name, "trailing bytes after the last image");
  return imgs;
}

std::vector<ColmapPoint3D> parse_points3d_bin(const std::string& bytes, const std::string& name) {
  BinReader r(bytes, name);
  const uint64_t n = r.get_count(51, "points");
  std::vector<ColmapPoint3D> pts(n);
  for (auto& p : pts) {
    p.id = r.get<uint64_t>();
    for (auto& x : p.xyz) x = r.get_finite("point coordinate");
    for (auto& c : p.rgb) c = r.get<uint8_t>();
    p.error = r.get<double>();
    const uint64_t len = r.get_count(8, "track elements");
    p.track.resize(len);
    for (auto& t : p.track) {
      t.image_id = r.get<uint32_t>();
      t.point2d_idx = r.get<uint32_t>();
    }
  }
  if (!r.at_end()) throw InputError(name, "trailing bytes after the last point");
  return pts;
}

std::map<uint32_t, ColmapCamera> parse_cameras_txt(const std::string& text, const std::string& name) {
  std::map<uint32_t, ColmapCamera> cams;
  for (const auto& [ln, line] : data_lines(text)) {
    Tokens t(line, name, ln);
    ColmapCamera c;
    c.id = t.get<uint32_t>("camera id");
    c.model = t.word("camera model");
    c.width = t.get<uint64_t>("width");
    c.height = t.get<uint64_t>("height");
    while (t.left() > 0) c.params.push_back(t.get<double>("camera parameter"));
    check_model(c, name);
    if (!cams.emplace(c.id, c).second) t.fail("duplicate camera id " + std::to_string(c.id));
  }
  return cams;
}

std::vector<ColmapImage> parse_images_txt(const std::string& text, const std::string& name) {
  const auto lines = data_lines(text);
  std::vector<ColmapImage> imgs;
  // Two lines per image; the second (2-D points) may be empty, and data_lines drops empty lines, so use the
  // raw line numbers: an image line is followed by its points line when that is the next raw line.
  for (size_t i = 0; i < lines.size(); ++i) {
    Tokens t(lines[i].second, name, lines[i].first);
    ColmapImage im;
    im.id = t.get<uint32_t>("image id");
    for (auto& q : im.qvec) q = t.get<double>("quaternion");
    for (auto& v : im.tvec) v = t.get<double>("translation");
    check_quat(im.qvec, im.id, name);
    im.camera_id = t.get<uint32_t>("camera id");
    im.name = t.word("image name");
    if (i + 1 < lines.size() && lines[i + 1].first == lines[i].first + 1) {
      Tokens p(lines[i + 1].second, name, lines[i + 1].first);
      if (p.size() % 3 != 0) p.fail("2-D points must come in triples (X, Y, POINT3D_ID)");
      while (p.left() > 0) {
        ColmapPoint2D pt;
        pt.x = p.get<double>("point x");
        pt.y = p.get<double>("point y");
        pt.point3d_id = p.get<int64_t>("point3D id");
        im.points2d.push_back(pt);
      }
      ++i;
    }
    imgs.push_back(std::move(im));
  }
  return imgs;
}

std::vector<ColmapPoint3D> parse_points3d_txt(const std::string& text, const std::string& name) {
  std::vector<ColmapPoint3D> pts;
  for (const auto& [ln, line] : data_lines(text)) {
    Tokens t(line, name, ln);
    ColmapPoint3D p;
    p.id = t.get<uint64_t>("point id");
    for (auto& x : p.xyz) x = t.get<double>("coordinate");
    for (auto& c : p.rgb) {
      const int v = t.get<int>("colour");
      if (v < 0 || v > 255) t.fail("colour out of range 0..255");
      c = uint8_t(v);
    }
    p.error = t.get<double>("error");
    if (t.left() % 2 != 0) t.fail("track must come in pairs (IMAGE_ID, POINT2D_IDX)");
    while (t.left() > 0) {
      ColmapTrackElement e;
      e.image_id = t.get<uint32_t>("track image id");
      e.point2d_idx = t.get<uint32_t>("track point index");
      p.track.push_back(e);
    }
    pts.push_back(std::move(p));
  }
  return pts;
}

ColmapModel read_colmap_model(const std::string& dir) {
  ColmapModel m;
  const bool bin = file_exists(join_path(dir, "cameras.bin"));
  const bool txt = file_exists(join_path(dir, "cameras.txt"));
  if (!bin && !txt) throw InputError(dir, "no COLMAP model here (cameras.bin or cameras.txt not found)");
  const std::string ext = bin ? ".bin" : ".txt";
  const std::string cp = join_path(dir, "cameras" + ext), ip = join_path(dir, "images" + ext),
                    pp = join_path(dir, "points3D" + ext);
  if (bin) {
    m.cameras = parse_cameras_bin(read_file(cp), cp);
    m.images = parse_images_bin(read_file(ip), ip);
    m.points = file_exists(pp) ? parse_points3d_bin(read_file(pp), pp) : std::vector<ColmapPoint3D>{};
  } else {
    m.cameras = parse_cameras_txt(read_file(cp), cp);
    m.images = parse_images_txt(read_file(ip), ip);
    m.points = file_exists(pp) ? parse_points3d_txt(read_file(pp), pp) : std::vector<ColmapPoint3D>{};
  }
  std::set<uint32_t> ids;
  for (const auto& im : m.images) {
    if (!m.cameras.count(im.camera_id))
      throw InputError(ip, "image " + std::to_string(im.id) + " refers to camera " + std::to_string(im.camera_id) +
                               ", which cameras" + ext + " does not define");
    if (!ids.insert(im.id).second) throw InputError(ip, "duplicate image id " + std::to_string(im.id));
  }
  return m;
}

void write_colmap_binary(const ColmapModel& m, const std::string& dir) {
  std::string c, i, p;
  put<uint64_t>(c, m.cameras.size());
  for (const auto& [id, cam] : m.cameras) {
    const ModelInfo* info = model_by_name(cam.model);
    if (!info) throw InputError(dir, "cannot write unknown camera model '" + cam.model + "'");
    put<uint32_t>(c, id);
    put<int32_t>(c, info->id);
    put<uint64_t>(c, cam.width);
    put<uint64_t>(c, cam.height);
    for (double v : cam.params) put<double>(c, v);
  }
  put<uint64_t>(i, m.images.size());
  for (const auto& im : m.images) {
    put<uint32_t>(i, im.id);
    for (double v : im.qvec) put<double>(i, v);
    for (double v : im.tvec) put<double>(i, v);
    put<uint32_t>(i, im.camera_id);
    i += im.name;
    i.push_back('\0');
    put<uint64_t>(i, im.points2d.size());
    for (const auto& pt : im.points2d) {
      put<double>(i, pt.x);
      put<double>(i, pt.y);
      put<int64_t>(i, pt.point3d_id);
    }
  }
  put<uint64_t>(p, m.points.size());
  for (const auto& pt : m.points) {
    put<uint64_t>(p, pt.id);
    for (double v : pt.xyz) put<double>(p, v);
    for (uint8_t v : pt.rgb) put<uint8_t>(p, v);
    put<double>(p, pt.error);
    put<uint64_t>(p, pt.track.size());
    for (const auto& t : pt.track) {
      put<uint32_t>(p, t.image_id);
      put<uint32_t>(p, t.point2d_idx);
    }
  }
  write_file_atomic(join_path(dir, "cameras.bin"), c);
  write_file_atomic(join_path(dir, "images.bin"), i);
  write_file_atomic(join_path(dir, "points3D.bin"), p);
}

void write_colmap_text(const ColmapModel& m, const std::string& dir) {
  // max_digits10 keeps doubles exact through the text round trip.
  auto stream = [] {
    std::ostringstream s;
    s << std::setprecision(std::numeric_limits<double>::max_digits10);
    return s;
  };
  std::ostringstream c = stream(), i = stream(), p = stream();
  c << "# Camera list with one line of data per camera:\n#   CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]\n";
  for (const auto& [id, cam] : m.cameras) {
    c << id << ' ' << cam.model << ' ' << cam.width << ' ' << cam.height;
    for (double v : cam.params) c << ' ' << v;
    c << '\n';
  }
  i << "# Image list with two lines of data per image:\n#   IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME\n"
       "#   POINTS2D[] as (X, Y, POINT3D_ID)\n";
  for (const auto& im : m.images) {
    i << im.id;
    for (double v : im.qvec) i << ' ' << v;
    for (double v : im.tvec) i << ' ' << v;
    i << ' ' << im.camera_id << ' ' << im.name << '\n';
    for (size_t k = 0; k < im.points2d.size(); ++k)
      i << (k ? " " : "") << im.points2d[k].x << ' ' << im.points2d[k].y << ' ' << im.points2d[k].point3d_id;
    i << '\n';
  }
  p << "# 3D point list with one line of data per point:\n"
       "#   POINT3D_ID, X, Y, Z, R, G, B, ERROR, TRACK[] as (IMAGE_ID, POINT2D_IDX)\n";
  for (const auto& pt : m.points) {
    p << pt.id << ' ' << pt.xyz[0] << ' ' << pt.xyz[1] << ' ' << pt.xyz[2] << ' ' << int(pt.rgb[0]) << ' '
      << int(pt.rgb[1]) << ' ' << int(pt.rgb[2]) << ' ' << pt.error;
    for (const auto& t : pt.track) p << ' ' << t.image_id << ' ' << t.point2d_idx;
    p << '\n';
  }
  write_file_atomic(join_path(dir, "cameras.txt"), c.str());
  write_file_atomic(join_path(dir, "images.txt"), i.str());
  write_file_atomic(join_path(dir, "points3D.txt"), p.str());
}

void colmap_intrinsics(const ColmapCamera& c, const std::string& name, double& fx, double& fy, double& cx, double& cy,
                       Distortion& d) {
  const auto& q = c.params;
  d = Distortion{};
  const std::string& m = c.model;
  if (m == "SIMPLE_PINHOLE") { fx = fy = q[0]; cx = q[1]; cy = q[2]; }
  else if (m == "PINHOLE") { fx = q[0]; fy = q[1]; cx = q[2]; cy = q[3]; }
  else if (m == "SIMPLE_RADIAL") { fx = fy = q[0]; cx = q[1]; cy = q[2]; d.k1 = q[3]; }
  else if (m == "RADIAL") { fx = fy = q[0]; cx = q[1]; cy = q[2]; d.k1 = q[3]; d.k2 = q[4]; }
  else if (m == "OPENCV") { fx = q[0]; fy = q[1]; cx = q[2]; cy = q[3]; d.k1 = q[4]; d.k2 = q[5]; d.p1 = q[6]; d.p2 = q[7]; }
  else if (m == "FULL_OPENCV") {
    fx = q[0]; fy = q[1]; cx = q[2]; cy = q[3];
    d.k1 = q[4]; d.k2 = q[5]; d.p1 = q[6]; d.p2 = q[7]; d.k3 = q[8]; d.k5 = q[9]; d.k6 = q[10]; d.k7 = q[11];
  } else {
    throw InputError(name, "camera " + std::to_string(c.id) + ": camera model " + m +
                               " is not supported (supported: SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV, FULL_OPENCV)");
  }
  if (!(fx > 0 && fy > 0)) throw InputError(name, "camera " + std::to_string(c.id) + ": focal length must be positive");
}

Camera colmap_pose(const ColmapImage& img, Camera cam) {
  cam.R = quat_to_rotation({img.qvec[0], img.qvec[1], img.qvec[2], img.qvec[3]});
  cam.t = {img.tvec[0], img.tvec[1], img.tvec[2]};
  return cam;
}

}  // namespace ttgs::io
