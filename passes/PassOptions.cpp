#include "passes/PassOptions.h"

#include <charconv>

namespace nutshell::passes {

Status checkOptions(std::string_view pass, const PassContext& context, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : context.options) {
    bool found = false;
    std::string list;
    for (std::string_view name : known) {
      found = found || name == key;
      list += (list.empty() ? "" : ", ") + std::string(name);
    }
    if (!found)
      return makeError(std::string(pass) + " has no option '" + key + "'" +
                       (list.empty() ? std::string(" (it takes none)") : " (options: " + list + ")"));
  }
  return Status::success();
}

Expected<int64_t> intOption(std::string_view pass, const PassContext& context, const std::string& key,
                            int64_t fallback) {
  auto it = context.options.find(key);
  if (it == context.options.end()) return fallback;
  const std::string& text = it->second;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    return makeError(std::string(pass) + " option " + key + "=" + text + " is not an integer");
  return value;
}

}  // namespace nutshell::passes
