#include "render/sh.hpp"

namespace ttgs::render {

template <typename T>
void sh_basis(int degree, T x, T y, T z, T* b, T (*db)[3]) {
  const T C0 = T(0.28209479177387814), C1 = T(0.4886025119029199);
  const T C2[5] = {T(1.0925484305920792), T(-1.0925484305920792), T(0.31539156525252005), T(-1.0925484305920792),
                   T(0.5462742152960396)};
  const T C3[7] = {T(-0.5900435899266435), T(2.890611442640554), T(-0.4570457994644658), T(0.3731763325901154),
                   T(-0.4570457994644658), T(1.445305721320277), T(-0.5900435899266435)};
  const auto set = [&](int k, T v, T dx, T dy, T dz) {
    b[k] = v;
    if (db) {
      db[k][0] = dx;
      db[k][1] = dy;
      db[k][2] = dz;
    }
  };
  set(0, C0, 0, 0, 0);
  if (degree < 1) return;
  set(1, -C1 * y, 0, -C1, 0);
  set(2, C1 * z, 0, 0, C1);
  set(3, -C1 * x, -C1, 0, 0);
  if (degree < 2) return;
  const T xx = x * x, yy = y * y, zz = z * z;
  set(4, C2[0] * x * y, C2[0] * y, C2[0] * x, 0);
  set(5, C2[1] * y * z, 0, C2[1] * z, C2[1] * y);
  set(6, C2[2] * (2 * zz - xx - yy), C2[2] * (-2 * x), C2[2] * (-2 * y), C2[2] * (4 * z));
  set(7, C2[3] * x * z, C2[3] * z, 0, C2[3] * x);
  set(8, C2[4] * (xx - yy), C2[4] * (2 * x), C2[4] * (-2 * y), 0);
  if (degree < 3) return;
  set(9, C3[0] * y * (3 * xx - yy), C3[0] * 6 * x * y, C3[0] * (3 * xx - 3 * yy), 0);
  set(10, C3[1] * x * y * z, C3[1] * y * z, C3[1] * x * z, C3[1] * x * y);
  set(11, C3[2] * y * (4 * zz - xx - yy), C3[2] * (-2 * x * y), C3[2] * (4 * zz - xx - 3 * yy), C3[2] * 8 * y * z);
  set(12, C3[3] * z * (2 * zz - 3 * xx - 3 * yy), C3[3] * (-6 * x * z), C3[3] * (-6 * y * z), C3[3] * (6 * zz - 3 * xx - 3 * yy));
  set(13, C3[4] * x * (4 * zz - xx - yy), C3[4] * (4 * zz - 3 * xx - yy), C3[4] * (-2 * x * y), C3[4] * 8 * x * z);
  set(14, C3[5] * z * (xx - yy), C3[5] * 2 * x * z, C3[5] * (-2 * y * z), C3[5] * (xx - yy));
  set(15, C3[6] * x * (xx - 3 * yy), C3[6] * (3 * xx - 3 * yy), C3[6] * (-6 * x * y), 0);
}

template void sh_basis<float>(int, float, float, float, float*, float (*)[3]);
template void sh_basis<double>(int, double, double, double, double*, double (*)[3]);

}  // namespace ttgs::render
