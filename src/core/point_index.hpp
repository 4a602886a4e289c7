#pragma once
// A k-d tree (nanoflann) over N x 3 float positions, built once and searched many times.
#include <nanoflann.hpp>

#include <vector>

namespace ttgs {

struct PointCloudAdaptor {
  const std::vector<float>& p;
  size_t kdtree_get_point_count() const { return p.size() / 3; }
  float kdtree_get_pt(size_t i, size_t dim) const { return p[i * 3 + dim]; }
  template <class BBox>
  bool kdtree_get_bbox(BBox&) const { return false; }
};

// The positions are referenced, not copied: they must outlive the index.
struct PointIndex {
  using Tree = nanoflann::KDTreeSingleIndexAdaptor<nanoflann::L2_Simple_Adaptor<float, PointCloudAdaptor>,
                                                   PointCloudAdaptor, 3, size_t>;
  explicit PointIndex(const std::vector<float>& positions)
      : cloud{positions}, tree(3, cloud, nanoflann::KDTreeSingleIndexAdaptorParams(10)) {
    if (size() >= 2) tree.buildIndex();  // searched only then
  }
  size_t size() const { return cloud.p.size() / 3; }
  PointCloudAdaptor cloud;
  Tree tree;
};

}  // namespace ttgs
