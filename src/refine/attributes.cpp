// Parsing and printing the lists of `--attrs` and `--parts`.
#include "refine/refiner.hpp"

#include <sstream>

#include "core/error.hpp"

namespace ttgs::refine {

AttributeSet parse_attributes(const std::string& list) {
  AttributeSet a{false, false, false, false, false};
  std::stringstream ss(list);
  std::string item;
  int count = 0;
  while (std::getline(ss, item, ',')) {
    if (item == "opacity") a.opacity = true;
    else if (item == "color" || item == "colour") a.color = true;
    else if (item == "rotation") a.rotation = true;
    else if (item == "xyz") a.xyz = true;
    else if (item == "scale") a.scale = true;
    else throw InputError("--attrs", "unknown attribute '" + item + "' (opacity, color, rotation, xyz, scale)");
    ++count;
  }
  if (count == 0) throw InputError("--attrs", "empty list");
  return a;
}

std::string to_string(const AttributeSet& a) {
  std::string s;
  for (const auto& [on, name] : {std::pair{a.opacity, "opacity"}, {a.color, "color"}, {a.rotation, "rotation"},
                                 {a.xyz, "xyz"}, {a.scale, "scale"}})
    if (on) s += (s.empty() ? "" : ",") + std::string(name);
  return s;
}

PartSet parse_parts(const std::string& list) {
  PartSet p{false, false, false, false};
  std::stringstream ss(list);
  std::string item;
  int count = 0;
  while (std::getline(ss, item, ',')) {
    if (item == "static") p.static_part = true;
    else if (item == "actors") p.actors = true;
    else if (item == "distant" || item == "sky") p.distant = true;
    else if (item == "appearance") p.appearance = true;
    else throw InputError("--parts", "unknown part '" + item + "' (static, actors, distant, appearance)");
    ++count;
  }
  if (count == 0) throw InputError("--parts", "empty list");
  return p;
}

std::string to_string(const PartSet& p) {
  std::string s;
  for (const auto& [on, name] : {std::pair{p.static_part, "static"}, {p.actors, "actors"}, {p.distant, "distant"},
                                 {p.appearance, "appearance"}})
    if (on) s += (s.empty() ? "" : ",") + std::string(name);
  return s;
}

}  // namespace ttgs::refine
