// The names a device setting may take.
#pragma once

#include <string>

namespace attnlab::config {

// Whether `device` names a device: cpu, cuda, cuda:N or auto (whether this
// machine has it is train::resolve_device's question).
bool is_device_name(const std::string& device);

}  // namespace attnlab::config
