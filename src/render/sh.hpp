#pragma once
// Real spherical harmonics up to degree 3 (the 3DGS basis and sign convention), with gradients.
namespace ttgs::render {

constexpr int kMaxShCoeffs = 16;

// basis[k] for k < (degree+1)^2 at unit direction (x, y, z); optionally d basis[k] / d(x, y, z) into dbasis[k][3].
template <typename T>
void sh_basis(int degree, T x, T y, T z, T* basis, T (*dbasis)[3]);

}  // namespace ttgs::render
