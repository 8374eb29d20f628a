#pragma once
// The reason phrase of an HTTP status line, for the statuses the gateway and the supervisor's
// /metrics endpoint answer with.

namespace moltbot::gateway {

// "OK", "Not Found", ...; "Unknown" for a status neither uses.
const char* status_reason(int status);

}  // namespace moltbot::gateway
